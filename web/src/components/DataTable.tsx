import type { ReactNode } from "react";

export interface ColumnDef<T> {
  key: string;
  label: string;
  render?: (row: T) => ReactNode;
  numeric?: boolean;
}

interface Props<T> {
  testId: string;
  columns: ColumnDef<T>[];
  rows: T[];
  rowId: (row: T) => string | number;
  empty?: string;
  onRowClick?: (row: T) => void;
  selected?: string | number | null;
  className?: string;
}

function cell(value: unknown): ReactNode {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function DataTable<T>({ testId, columns, rows, rowId, empty, onRowClick, selected, className }: Props<T>) {
  return (
    <div className="table-wrap">
      <table className={`table ${className ?? ""}`} data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} className={c.numeric ? "num" : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={columns.length} className="muted empty">
                {empty ?? "Nothing to show"}
              </td>
            </tr>
          )}
          {rows.map((row, i) => {
            const id = rowId(row);
            return (
              <tr
                key={`${id}:${i}`}
                data-testid={`row-${id}`}
                className={`${onRowClick ? "clickable" : ""} ${selected === id ? "selected" : ""}`}
                onClick={onRowClick ? () => onRowClick(row) : undefined}
              >
                {columns.map((c) => (
                  <td key={c.key} className={c.numeric ? "num" : undefined}>
                    {c.render ? c.render(row) : cell((row as Record<string, unknown>)[c.key])}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function Pager({ total, limit, offset, onChange }: {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
}) {
  const last = Math.min(total, offset + limit);
  return (
    <div className="pager">
      <span className="muted">
        {total === 0 ? "0" : `${offset + 1}–${last}`} of {total}
      </span>
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        ‹ Prev
      </button>
      <button type="button" disabled={last >= total} onClick={() => onChange(offset + limit)}>
        Next ›
      </button>
    </div>
  );
}
