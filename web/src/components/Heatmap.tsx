import { useState } from "react";
import type { CorrelationMatrix } from "../api/types";
import { correlationColor, legendStops, textColorOn } from "../lib/heatmap";
import type { Theme } from "../lib/theme";

interface Hover {
  a: string;
  b: string;
  value: number | null;
  points: number;
  status: string;
  x: number;
  y: number;
}

export function Heatmap({ matrix, theme, selected, onSelect }: {
  matrix: CorrelationMatrix;
  theme: Theme;
  selected: [string, string] | null;
  onSelect: (a: string, b: string) => void;
}) {
  const [hover, setHover] = useState<Hover | null>(null);
  const n = matrix.symbols.length;
  const size = n > 14 ? 34 : n > 8 ? 46 : 60;
  return (
    <div className="heatmap-wrap">
      <div className="heatmap" data-testid="heatmap" style={{ gridTemplateColumns: `auto repeat(${n}, ${size}px)` }}
        onMouseLeave={() => setHover(null)}>
        <div />
        {matrix.symbols.map((s) => <div key={`top-${s}`} className="hm-label top">{s}</div>)}
        {matrix.symbols.map((a, i) => [
          <div key={`left-${a}`} className="hm-label left">{a}</div>,
          ...matrix.symbols.map((b, j) => {
            const value = matrix.values[i]?.[j] ?? null;
            const points = matrix.points[i]?.[j] ?? 0;
            const bg = correlationColor(value, theme);
            const isSel = selected !== null && selected[0] === a && selected[1] === b;
            return (
              <button
                type="button"
                key={`${a}-${b}`}
                className={`hm-cell ${isSel ? "selected" : ""}`}
                data-testid={`heatmap-cell-${a}-${b}`}
                style={{ background: bg, color: textColorOn(bg), height: size }}
                aria-label={`${a} and ${b}: ${value === null ? "no value" : value.toFixed(2)}`}
                onMouseEnter={(e) => {
                  const r = e.currentTarget.getBoundingClientRect();
                  setHover({ a, b, value, points, status: matrix.status?.[i]?.[j] ?? "", x: r.right + 8, y: r.top });
                }}
                onClick={() => onSelect(a, b)}
              >
                {size >= 46 && value !== null ? value.toFixed(2) : ""}
              </button>
            );
          }),
        ])}
        {hover && (
          <div className="hm-tooltip" data-testid="heatmap-tooltip" style={{ left: hover.x, top: hover.y }}>
            <strong>{hover.a} × {hover.b}</strong>
            <div>{matrix.method}: {hover.value === null ? "no value" : hover.value.toFixed(3)}</div>
            <div className="muted">{hover.points} points{hover.status && hover.status !== "ok" ? ` · ${hover.status}` : ""}</div>
          </div>
        )}
      </div>
      <div className="hm-legend">
        {legendStops(9, theme).map((s) => (
          <span key={s.value} style={{ background: s.color, color: textColorOn(s.color) }}>{s.value.toFixed(2)}</span>
        ))}
      </div>
    </div>
  );
}
