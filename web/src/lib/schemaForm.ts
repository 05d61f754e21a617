/** Form fields from a JSON schema (pydantic's), or inferred from the values when there is none. */

import type { JsonSchema } from "../api/types";

export type FieldKind = "text" | "integer" | "number" | "boolean" | "select" | "list" | "multiselect" | "json";

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  nullable: boolean;
  required: boolean;
  options: string[];
  description: string | null;
  min: number | null;
  max: number | null;
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let i = 0; i < 10 && current.$ref; i++) {
    const name = current.$ref.split("/").pop() ?? "";
    const target = root.$defs?.[name] ?? root.definitions?.[name];
    if (!target) break;
    current = { ...target, ...current, $ref: undefined };
  }
  if (current.allOf && current.allOf.length === 1) {
    current = { ...resolve(current.allOf[0], root), ...current, allOf: undefined };
  }
  return current;
}

function isNull(s: JsonSchema): boolean {
  return s.type === "null" || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === "null");
}

/** `swing_lookback` → `Swing lookback`. */
export function humanize(name: string): string {
  const text = name.replace(/[_-]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function kindOf(s: JsonSchema, root: JsonSchema): { kind: FieldKind; options: string[] } {
  if (s.enum) return { kind: "select", options: s.enum.map(String) };
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  switch (type) {
    case "boolean":
      return { kind: "boolean", options: [] };
    case "integer":
      return { kind: "integer", options: [] };
    case "number":
      return { kind: "number", options: [] };
    case "string":
      return { kind: "text", options: [] };
    case "array": {
      const items = s.items ? resolve(s.items, root) : {};
      if (items.enum) return { kind: "multiselect", options: items.enum.map(String) };
      const itemType = Array.isArray(items.type) ? items.type[0] : items.type;
      return itemType === "object" ? { kind: "json", options: [] } : { kind: "list", options: [] };
    }
    default:
      return { kind: "json", options: [] };
  }
}

export function fieldSpec(name: string, raw: JsonSchema, root: JsonSchema, required: boolean): FieldSpec {
  let s = resolve(raw, root);
  let nullable = false;
  const union = s.anyOf ?? s.oneOf;
  if (union) {
    const rest = union.filter((u) => !isNull(u));
    nullable = rest.length < union.length;
    if (rest.length === 1) s = { ...resolve(rest[0], root), title: s.title, description: s.description };
    else if (rest.every((u) => resolve(u, root).const !== undefined)) {
      s = { ...s, enum: rest.map((u) => resolve(u, root).const) };
    }
  }
  if (Array.isArray(s.type) && s.type.includes("null")) nullable = true;
  const { kind, options } = kindOf(s, root);
  return {
    name,
    label: s.title && s.title.toLowerCase() !== name.replace(/_/g, " ").toLowerCase() ? s.title : humanize(name),
    kind,
    nullable,
    required,
    options,
    description: s.description ?? null,
    min: s.minimum ?? s.exclusiveMinimum ?? null,
    max: s.maximum ?? s.exclusiveMaximum ?? null,
  };
}

/** The fields of an object schema, in its order. */
export function fieldsFromSchema(schema: JsonSchema): FieldSpec[] {
  const root = schema;
  const obj = resolve(schema, root);
  const required = new Set(obj.required ?? []);
  return Object.entries(obj.properties ?? {}).map(([name, s]) => fieldSpec(name, s, root, required.has(name)));
}

/** Fields guessed from the values themselves (settings sent without a schema). */
export function fieldsFromValues(values: Record<string, unknown>): FieldSpec[] {
  return Object.entries(values).map(([name, v]) => {
    const kind: FieldKind = typeof v === "boolean" ? "boolean" : typeof v === "number"
      ? (Number.isInteger(v) ? "integer" : "number")
      : Array.isArray(v) ? (v.every((x) => typeof x !== "object") ? "list" : "json")
      : v !== null && typeof v === "object" ? "json" : "text";
    return { name, label: humanize(name), kind, nullable: v === null, required: false, options: [], description: null,
      min: null, max: null };
  });
}

/** The text an input shows for a value. */
export function toInput(spec: FieldSpec, value: unknown): string | boolean | string[] {
  if (spec.kind === "boolean") return Boolean(value);
  if (spec.kind === "multiselect") return Array.isArray(value) ? value.map(String) : [];
  if (value === null || value === undefined) return "";
  if (spec.kind === "list") return Array.isArray(value) ? value.join(", ") : String(value);
  if (spec.kind === "json") return JSON.stringify(value, null, 2);
  return String(value);
}

/**
 * The value to send for an input. Numbers that do not parse are sent as typed, so the API answers with the same
 * validation message the config file gets.
 */
export function fromInput(spec: FieldSpec, input: string | boolean | string[]): unknown {
  if (spec.kind === "boolean") return Boolean(input);
  if (spec.kind === "multiselect") return Array.isArray(input) ? input : [];
  const text = String(input).trim();
  if (text === "" && spec.kind !== "text") return spec.nullable ? null : spec.kind === "list" ? [] : text;
  if (text === "" && spec.nullable) return null;
  switch (spec.kind) {
    case "integer":
    case "number": {
      const n = Number(text);
      return Number.isFinite(n) && (spec.kind === "number" || Number.isInteger(n)) ? n : text;
    }
    case "list":
      return text.split(/[\s,]+/).filter(Boolean);
    case "json":
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    default:
      return text;
  }
}

/** Every field's input state from the values. */
export function inputsFrom(fields: FieldSpec[], values: Record<string, unknown>): Record<string, string | boolean | string[]> {
  return Object.fromEntries(fields.map((f) => [f.name, toInput(f, values[f.name])]));
}

/** The values to save: every field from its input. */
export function valuesFrom(fields: FieldSpec[], inputs: Record<string, string | boolean | string[]>): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f.name, fromInput(f, inputs[f.name] ?? "")]));
}

/** "next_bar" → "at the next bar"; "restart" → "after Theo restarts". */
export function describeApplies(applies: string | null | undefined): string {
  if (!applies) return "";
  if (applies === "next_bar") return "Takes effect at the next bar.";
  if (applies === "restart") return "Takes effect when Theo restarts.";
  if (applies === "now" || applies === "immediately") return "Takes effect now.";
  return `Takes effect: ${applies.replace(/_/g, " ")}.`;
}
