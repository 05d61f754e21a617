import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { useCan } from "../context";
import { formErrorsFrom, NO_ERRORS, type FormErrors } from "../lib/formErrors";
import { changedValues, describeApplies, inputsFrom, type FieldSpec, type InputValue, type Inputs } from "../lib/schemaForm";

interface Props {
  /** data-testid prefix: `<prefix>-field-<name>`, `<prefix>-save`. */
  prefix: string;
  fields: FieldSpec[];
  values: Record<string, unknown>;
  applies?: string | null;
  note?: string | null;
  /** Saves the changed values (a partial table); answers when the change applies (or nothing). */
  onSave: (values: Record<string, unknown>) => Promise<string | null | undefined>;
  /** Extra text beside a field (e.g. the live value against its limit). */
  aside?: (name: string) => ReactNode;
}

function FieldInput({ spec, value, testId, disabled, onChange }: {
  spec: FieldSpec;
  value: InputValue;
  testId: string;
  disabled: boolean;
  onChange: (v: InputValue) => void;
}) {
  switch (spec.kind) {
    case "boolean":
      return <input type="checkbox" data-testid={testId} checked={Boolean(value)} disabled={disabled}
        onChange={(e) => onChange(e.target.checked)} />;
    case "select":
      return (
        <select data-testid={testId} value={String(value)} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
          {(spec.nullable || !spec.options.includes(String(value))) && <option value="">—</option>}
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
      return <textarea data-testid={testId} value={String(value)} rows={Math.min(8, String(value).split("\n").length + 1)}
        disabled={disabled} spellCheck={false} onChange={(e) => onChange(e.target.value)} />;
    default:
      return <input data-testid={testId} value={String(value)} disabled={disabled}
        inputMode={spec.kind === "integer" || spec.kind === "number" || spec.kind === "decimal" ? "decimal" : undefined}
        placeholder={spec.kind === "list" ? "comma-separated" : spec.nullable ? "none" : undefined}
        onChange={(e) => onChange(e.target.value)} />;
  }
}

function bounds(f: FieldSpec): ReactNode {
  if (f.min === null && f.max === null) return null;
  return <span className="muted small"> ({f.min ?? "…"} – {f.max ?? "…"})</span>;
}

/** A settings form: one input per field (nested tables as groups), per-field errors from a 422, and a save
 * that sends only the changed fields and says when the change applies. */
export function SchemaForm({ prefix, fields, values, applies, note, onSave, aside }: Props) {
  const canSave = useCan("trader");
  const initial = useMemo(() => inputsFrom(fields, values), [fields, values]);
  const [inputs, setInputs] = useState<Inputs>(initial);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setInputs(initial), [initial]);
  const changes = useMemo(() => changedValues(fields, initial, inputs), [fields, initial, inputs]);
  const dirty = Object.keys(changes).length > 0;
  const names = useMemo(() => fields.filter((f) => f.kind !== "group").map((f) => f.name), [fields]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors(NO_ERRORS);
    if (!dirty) {
      setSaved("Nothing to save: no field changed.");
      return;
    }
    setBusy(true);
    setSaved(null);
    try {
      const when = await onSave(changes);
      setSaved(`Saved. ${describeApplies(when ?? applies)}`.trim());
    } catch (err) {
      setErrors(formErrorsFrom(err, names));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="schema-form" onSubmit={(e) => void submit(e)}>
      <div className="form-grid">
        {fields.map((f) => f.kind === "group" ? (
          <div key={f.name} className={`form-group depth-${Math.min(f.depth, 3)}`} title={f.description ?? undefined}>
            {f.label}
          </div>
        ) : (
          <div key={f.name} className={`form-row depth-${Math.min(f.depth, 3)} ${errors.fields[f.name] ? "has-error" : ""}`}>
            <label htmlFor={`${prefix}-${f.name}`} title={f.description ?? undefined}>
              {f.label}
              {bounds(f)}
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
      {note && <div className="muted small note">{note}</div>}
    </form>
  );
}
