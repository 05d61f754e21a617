/** Maps an API error ({detail, field}) onto the form's fields: a per-field message or a form-wide one. */

import { ApiError } from "../api/client";

export interface FormErrors {
  fields: Record<string, string>;
  form: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, form: null };

/**
 * The form field an API `field` names: the field itself (`threshold`), or the last part of a dotted or indexed
 * path that is one of the form's fields (`strategies[0].threshold`, `values.threshold`, `strategy.0.window`).
 */
export function matchField(field: string | null | undefined, known: readonly string[]): string | null {
  if (!field) return null;
  if (known.includes(field)) return field;
  const parts = field.split(/[.[\]]+/).filter(Boolean);
  for (let i = parts.length - 1; i >= 0; i--) {
    const tail = parts.slice(i).join(".");
    if (known.includes(tail)) return tail;
    if (known.includes(parts[i]) && !/^\d+$/.test(parts[i])) return parts[i];
  }
  return null;
}

/** Per-field errors from a failed save; an error without a known field goes to the form-wide message. */
export function formErrorsFrom(error: unknown, known: readonly string[]): FormErrors {
  if (error instanceof ApiError) {
    const key = matchField(error.field, known);
    if (key) return { fields: { [key]: error.message }, form: null };
    const prefix = error.field ? `${error.field}: ` : "";
    return { fields: {}, form: prefix + error.message };
  }
  return { fields: {}, form: error instanceof Error ? error.message : String(error) };
}
