/**
 * Types read off the generated OpenAPI schema (`schema.d.ts`, `npm run gen:api`): the paths under /api/v1 with
 * their GET answers and query parameters, so `api.get("/overview")` is typed by the server's own models.
 */

import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

type Prefixed = keyof paths & `/api/v1${string}`;

type JsonOk<Op> = Op extends { responses: infer R }
  ? R extends { 200: { content: { "application/json": infer J } } }
    ? J
    : R extends { 201: { content: { "application/json": infer J } } }
      ? J
      : R extends { 202: { content: { "application/json": infer J } } }
        ? J
        : unknown
  : unknown;

type Strip<K> = K extends `/api/v1${infer R}` ? R : never;

/** Every path (without /api/v1) that answers GET. */
export type GetPath = { [K in Prefixed]: paths[K] extends { get: object } ? Strip<K> : never }[Prefixed];

/** The JSON body a GET of `P` answers with. */
export type GetResult<P extends GetPath> = JsonOk<paths[`/api/v1${P}`] extends { get: infer Op } ? Op : never>;

/** The query parameters a GET of `P` takes. */
export type GetQuery<P extends GetPath> = paths[`/api/v1${P}`] extends { get: { parameters: { query?: infer Q } } }
  ? Q
  : never;
