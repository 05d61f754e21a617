/** The correlation heatmap's diverging colour scale: −1 blue, 0 neutral, +1 red; no value grey. */

export type Rgb = [number, number, number];

export const NEGATIVE: Rgb = [37, 99, 235];
export const POSITIVE: Rgb = [220, 38, 38];
export const NEUTRAL_DARK: Rgb = [40, 44, 52];
export const NEUTRAL_LIGHT: Rgb = [245, 245, 245];
export const MISSING = "rgb(110, 110, 110)";

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)) as Rgb;
}

/** Clamps a correlation into [−1, 1]; `null` for a missing or non-finite value. */
export function clampCorrelation(value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return Math.max(-1, Math.min(1, value));
}

/** The cell colour of a correlation, as `rgb(r, g, b)`. */
export function correlationColor(value: number | null | undefined, theme: "dark" | "light" = "dark"): string {
  const v = clampCorrelation(value);
  if (v === null) return MISSING;
  const neutral = theme === "dark" ? NEUTRAL_DARK : NEUTRAL_LIGHT;
  const [r, g, b] = mix(neutral, v >= 0 ? POSITIVE : NEGATIVE, Math.abs(v));
  return `rgb(${r}, ${g}, ${b})`;
}

/** Black or white text, whichever reads better on `background` (`rgb(r, g, b)`). */
export function textColorOn(background: string): string {
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(background);
  if (!m) return "#fff";
  const luminance = (0.299 * Number(m[1]) + 0.587 * Number(m[2]) + 0.114 * Number(m[3])) / 255;
  return luminance > 0.6 ? "#111" : "#fff";
}

/** Legend stops from −1 to +1 for the scale bar. */
export function legendStops(count = 9, theme: "dark" | "light" = "dark"): { value: number; color: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const value = -1 + (2 * i) / (count - 1);
    return { value, color: correlationColor(value, theme) };
  });
}
