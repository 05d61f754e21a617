/**
 * Short forms of the journal's long ids for table cells (the full id stays in the link and the tooltip):
 * `corr_spy_qqq-s2648674352176373158-entry-tp` → `s2648…3158-entry-tp`.
 */
export function shortOrderId(id: string | number): string {
  const text = String(id);
  const parts = text.split("-");
  if (parts.length < 2) return shortNumber(text);
  const rest = parts.slice(1).map((p) => (/^s?\d{9,}$/.test(p) ? shortNumber(p) : p));
  return rest.join("-");
}

/** `1493014921058161776` → `1493…1776`; short ids stay as they are. */
export function shortNumber(text: string): string {
  return text.length > 12 ? `${text.slice(0, 5)}…${text.slice(-4)}` : text;
}
