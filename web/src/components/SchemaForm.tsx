import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useCan } from "../context";
import { formErrorsFrom, NO_ERRORS, type FormErrors } from "../lib/formErrors";
import { describeApplies, inputsFrom, valuesFrom, type FieldSpec } from "../lib/schemaForm";

type Inputs = Record<string, string | boolean | string[]>;

interface Props {
  /** data-testid prefix: `<prefix>-field-<name>`, `<prefix>-save`. */
  prefix: string;
  fields: FieldSpec[];
  values: Record<string, unknown>;
  applies?: string | null;
  /** Saves the values; answers the `applies` of the change (or nothing). */
  onSave: (values: Record<string, unknown>) => Promise<string | null | undefined>;
  /** Extra text beside a field (e.g. the live value against its limit). */
  aside?: (name: string) => React.ReactNode;
}

function FieldInput({ spec, value, testId, disabled, onChange }: {
  spec: FieldSpec;
  value: string | boolean | string[];
  testId: string;
  disabled: boolean;
  onChange: (v: string | boolean | string[]) => void;
}) {
  switch (spec.kind) {
    case "boolean":
      return <input type="checkbox" data-testid={testId} checked={Boolean(value)} disabled={disabled}
        onChange={(e) => onChange(e.target.checked)} />;
    case "select":
      return (
        <select data-testid={testId} value={String(value)} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
          {spec.nullable && <option value="">—</option>}
          {spec.options.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      );
    case "multiselect": {
      const chosen = Array.isArray(value) ? value : [];
      return (
        <div className="checks-row" data-testid={testId}>
          {spec.options.map((o) => (
            <label key={o} className="check">
              <input type="checkbox" checked={chosen.includes(o)} disabled={disabled}
                onChange={(e) => onChange(e.target.checked ? [...chosen, o] : chosen.filter((c) => c !== o))} />
              {o}
            </label>
          ))}
        </div>
      );
    }
    case "json":
      return <textarea data-testid={testId} value={String(value)} rows={4} disabled={disabled}
        onChange={(e) => onChange(e.target.value)} />;
    default:
      return <input data-testid={testId} value={String(value)} disabled={disabled}
        inputMode={spec.kind === "integer" || spec.kind === "number" ? "decimal" : undefined}
        placeholder={spec.kind === "list" ? "comma-separated" : spec.nullable ? "none" : undefined}
        onChange={(e) => onChange(e.target.value)} />;
  }
}

/** A settings form: one input per field, per-field errors from a 422, a save that says when it applies. */
export function SchemaForm({ prefix, fields, values, applies, onSave, aside }: Props) {
  const canSave = useCan("trader");
  const initial = useMemo(() => inputsFrom(fields, values), [fields, values]);
  const [inputs, setInputs] = useState<Inputs>(initial);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setInputs(initial), [initial]);
  const dirty = JSON.stringify(inputs) !== JSON.stringify(initial);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors(NO_ERRORS);
    setSaved(null);
    try {
      const when = await onSave(valuesFrom(fields, inputs));
      setSaved(`Saved. ${describeApplies(when ?? applies)}`.trim());
    } catch (err) {
      setErrors(formErrorsFrom(err, fields.map((f) => f.name)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="schema-form" onSubmit={(e) => void submit(e)}>
      <div className="form-grid">
        {fields.map((f) => (
          <div key={f.name} className={`form-row ${errors.fields[f.name] ? "has-error" : ""}`}>
            <label htmlFor={`${prefix}-${f.name}`} title={f.description ?? undefined}>
              {f.label}
              {f.min !== null || f.max !== null ? (
                <span className="muted small"> ({f.min ?? "…"} – {f.max ?? "…"})</span>
              ) : null}
            </label>
            <div className="form-input" id={`${prefix}-${f.name}`}>
              <FieldInput spec={f} value={inputs[f.name] ?? ""} testId={`${prefix}-field-${f.name}`}
                disabled={!canSave || busy} onChange={(v) => setInputs((cur) => ({ ...cur, [f.name]: v }))} />
              {aside?.(f.name)}
              {errors.fields[f.name] && (
                <div className="field-error" data-testid="form-error" data-field={f.name} role="alert">
                  {errors.fields[f.name]}
                </div>
              )}
            </div>
          </div>
        ))}
      </div>
      {errors.form && <div className="error" data-testid="form-error" role="alert">{errors.form}</div>}
      <div className="form-actions">
        <button type="submit" className="primary" data-testid={`${prefix}-save`} disabled={!canSave || busy}
          title={canSave ? undefined : "Needs the trader role"}>
          {busy ? "Saving…" : "Save"}
        </button>
        <button type="button" disabled={!dirty || busy} onClick={() => { setInputs(initial); setErrors(NO_ERRORS); }}>
          Reset
        </button>
        {saved && !dirty && <span className="ok" data-testid="save-ok">{saved}</span>}
        {!saved && applies && <span className="muted">{describeApplies(applies)}</span>}
      </div>
    </form>
  );
}
