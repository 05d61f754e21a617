/**
 * Form fields from a JSON schema (pydantic's `model_json_schema()`), or inferred from the values when there is
 * none. Nested objects become groups of fields named by their dotted path (`account.limits.max_active_trades`);
 * lists of objects and unions of objects are edited as JSON. A save sends only what changed, as a partial table.
 */

import type { JsonSchema } from "../api/types";

export type FieldKind = "text" | "integer" | "number" | "decimal" | "boolean" | "select" | "list" | "multiselect"
  | "json" | "group";

export interface FieldSpec {
  /** The dotted path: the key the API's `field` names. */
  name: string;
  path: string[];
  label: string;
  kind: FieldKind;
  depth: number;
  nullable: boolean;
  required: boolean;
  options: string[];
  description: string | null;
  min: number | null;
  max: number | null;
}

export type InputValue = string | boolean | string[];
export type Inputs = Record<string, InputValue>;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let i = 0; i < 10 && current.$ref; i++) {
    const name = current.$ref.split("/").pop() ?? "";
    const target = root.$defs?.[name] ?? root.definitions?.[name];
    if (!target) break;
    const { $ref: _ref, ...rest } = current;
    void _ref;
    current = { ...target, ...rest };
  }
  if (current.allOf && current.allOf.length === 1) {
    const { allOf, ...rest } = current;
    current = { ...resolve(allOf[0], root), ...rest };
  }
  return current;
}

function isNull(s: JsonSchema): boolean {
  return s.type === "null" || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === "null");
}

function typesOf(s: JsonSchema): string[] {
  if (Array.isArray(s.type)) return s.type.filter((t) => t !== "null");
  return s.type ? [s.type] : [];
}

/** `swing_lookback` → `Swing lookback`. */
export function humanize(name: string): string {
  const text = name.replace(/[_-]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

interface Shape {
  schema: JsonSchema;
  nullable: boolean;
}

/** The schema with `X | null` unwrapped; a union of constants becomes an enum, of number and text a decimal. */
function unwrap(raw: JsonSchema, root: JsonSchema): Shape {
  const s = resolve(raw, root);
  const union = s.anyOf ?? s.oneOf;
  let nullable = Array.isArray(s.type) && s.type.includes("null");
  if (!union) return { schema: s, nullable };
  const rest = union.filter((u) => !isNull(u)).map((u) => resolve(u, root));
  nullable = nullable || rest.length < union.length;
  const meta = { title: s.title, description: s.description, default: s.default };
  if (rest.length === 1) return { schema: { ...rest[0], ...stripUndefined(meta) }, nullable };
  if (rest.length > 1 && rest.every((u) => u.const !== undefined)) {
    return { schema: { ...stripUndefined(meta), enum: rest.map((u) => u.const) }, nullable };
  }
  const types = new Set(rest.flatMap(typesOf));
  if (rest.every((u) => !u.properties && !u.items && !u.anyOf) && [...types].every((t) => ["number", "integer", "string"].includes(t))) {
    const numeric = rest.find((u) => typesOf(u).some((t) => t === "number" || t === "integer"));
    return {
      schema: { ...stripUndefined(meta), type: "decimal", minimum: numeric?.minimum, maximum: numeric?.maximum,
        exclusiveMinimum: numeric?.exclusiveMinimum, exclusiveMaximum: numeric?.exclusiveMaximum },
      nullable,
    };
  }
  return { schema: { ...stripUndefined(meta), type: "union" }, nullable };
}

function stripUndefined(o: Record<string, unknown>): JsonSchema {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as JsonSchema;
}

function leafKind(s: JsonSchema, root: JsonSchema): { kind: FieldKind; options: string[] } {
  if (s.enum) return { kind: "select", options: s.enum.map(String) };
  if (s.const !== undefined) return { kind: "select", options: [String(s.const)] };
  const type = typesOf(s)[0];
  switch (type) {
    case "boolean":
      return { kind: "boolean", options: [] };
    case "integer":
      return { kind: "integer", options: [] };
    case "number":
      return { kind: "number", options: [] };
    case "decimal":
      return { kind: "decimal", options: [] };
    case "string":
      return { kind: "text", options: [] };
    case "array": {
      const items = s.items ? unwrap(s.items, root).schema : {};
      if (items.enum) return { kind: "multiselect", options: items.enum.map(String) };
      const itemType = typesOf(items)[0];
      return itemType && ["string", "number", "integer", "decimal"].includes(itemType) && !items.properties
        ? { kind: "list", options: [] }
        : { kind: "json", options: [] };
    }
    default:
      return { kind: "json", options: [] };
  }
}

/** The schema's title when it says more than the key (pydantic titles a table by its class name: not shown). */
function label(name: string, s: JsonSchema): string {
  const title = s.title?.trim();
  if (!title || !/\s/.test(title) || title.toLowerCase() === name.replace(/_/g, " ").toLowerCase()) return humanize(name);
  return title;
}

function walk(path: string[], raw: JsonSchema, root: JsonSchema, required: boolean, value: unknown,
  out: FieldSpec[]): void {
  const { schema: s, nullable } = unwrap(raw, root);
  const key = path[path.length - 1];
  const base = {
    name: path.join("."), path, label: label(key, s), depth: path.length - 1, nullable, required,
    description: s.description ?? null, options: [] as string[], min: null, max: null,
  };
  const extra = (s as { additionalProperties?: unknown }).additionalProperties;
  if (s.properties && Object.keys(s.properties).length > 0) {
    out.push({ ...base, kind: "group" });
    const req = new Set(s.required ?? []);
    const obj = isObj(value) ? value : {};
    for (const [k, sub] of Object.entries(s.properties)) walk([...path, k], sub, root, req.has(k), obj[k], out);
    return;
  }
  if (isObj(extra) && isObj(value) && Object.keys(value).length > 0 && resolve(extra as JsonSchema, root).properties) {
    // A table of named tables (per account, per strategy): one group per name that is there.
    out.push({ ...base, kind: "group" });
    for (const k of Object.keys(value)) walk([...path, k], extra as JsonSchema, root, false, value[k], out);
    return;
  }
  const { kind, options } = leafKind(s, root);
  out.push({ ...base, kind, options, min: s.minimum ?? s.exclusiveMinimum ?? null, max: s.maximum ?? s.exclusiveMaximum ?? null });
}

/** The fields of an object schema, in its order (groups before their fields); `values` names map entries. */
export function fieldsFromSchema(schema: JsonSchema, values: Obj = {}): FieldSpec[] {
  const root = schema;
  const obj = resolve(schema, root);
  const required = new Set(obj.required ?? []);
  const out: FieldSpec[] = [];
  for (const [name, s] of Object.entries(obj.properties ?? {})) walk([name], s, root, required.has(name), values[name], out);
  return out;
}

/** Fields guessed from the values themselves (settings sent without a schema). */
export function fieldsFromValues(values: Obj, prefix: string[] = []): FieldSpec[] {
  const out: FieldSpec[] = [];
  for (const [key, v] of Object.entries(values)) {
    const path = [...prefix, key];
    const base = { name: path.join("."), path, label: humanize(key), depth: prefix.length, nullable: v === null,
      required: false, options: [], description: null, min: null, max: null };
    if (isObj(v) && Object.keys(v).length > 0) {
      out.push({ ...base, kind: "group" });
      out.push(...fieldsFromValues(v, path));
      continue;
    }
    const kind: FieldKind = typeof v === "boolean" ? "boolean" : typeof v === "number"
      ? (Number.isInteger(v) ? "integer" : "number")
      : Array.isArray(v) ? (v.every((x) => x === null || typeof x !== "object") ? "list" : "json")
      : isObj(v) ? "json" : "text";
    out.push({ ...base, kind });
  }
  return out;
}

export function getPath(values: unknown, path: string[]): unknown {
  let cur: unknown = values;
  for (const key of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function setPath(target: Obj, path: string[], value: unknown): void {
  let cur = target;
  for (const key of path.slice(0, -1)) {
    if (!isObj(cur[key])) cur[key] = {};
    cur = cur[key] as Obj;
  }
  cur[path[path.length - 1]] = value;
}

/** The text an input shows for a value. */
export function toInput(spec: FieldSpec, value: unknown): InputValue {
  if (spec.kind === "boolean") return Boolean(value);
  if (spec.kind === "multiselect") return Array.isArray(value) ? value.map(String) : [];
  if (value === null || value === undefined) return "";
  if (spec.kind === "list") return Array.isArray(value) ? value.join(", ") : String(value);
  if (spec.kind === "json" || (typeof value === "object")) return JSON.stringify(value, null, 2);
  return String(value);
}

/**
 * The value to send for an input. Numbers that do not parse are sent as typed, so the API answers with the same
 * validation message the config file gets; decimals are sent as text (exact).
 */
export function fromInput(spec: FieldSpec, input: InputValue): unknown {
  if (spec.kind === "boolean") return Boolean(input);
  if (spec.kind === "multiselect") return Array.isArray(input) ? input : [];
  const text = String(input).trim();
  if (text === "") {
    if (spec.nullable) return null;
    if (spec.kind === "list") return [];
    return text;
  }
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
export function inputsFrom(fields: FieldSpec[], values: Obj): Inputs {
  return Object.fromEntries(fields.filter((f) => f.kind !== "group").map((f) => [f.name, toInput(f, getPath(values, f.path))]));
}

function same(a: InputValue | undefined, b: InputValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The values to save: every field from its input, nested by path. */
export function valuesFrom(fields: FieldSpec[], inputs: Inputs): Obj {
  const out: Obj = {};
  for (const f of fields) if (f.kind !== "group") setPath(out, f.path, fromInput(f, inputs[f.name] ?? ""));
  return out;
}

/** Only the fields whose input changed, as a partial table (what a PUT of settings takes). */
export function changedValues(fields: FieldSpec[], initial: Inputs, inputs: Inputs): Obj {
  const out: Obj = {};
  for (const f of fields) {
    if (f.kind !== "group" && !same(initial[f.name], inputs[f.name])) setPath(out, f.path, fromInput(f, inputs[f.name] ?? ""));
  }
  return out;
}

/** "next_bar" → "at the next bar"; "restart" → "after Theo restarts". */
export function describeApplies(applies: string | null | undefined): string {
  if (!applies) return "";
  if (applies === "next_bar") return "Takes effect at the next bar.";
  if (applies === "restart") return "Takes effect when Theo restarts.";
  if (applies === "now" || applies === "immediately") return "Takes effect now.";
  return `Takes effect: ${applies.replace(/_/g, " ")}.`;
}
