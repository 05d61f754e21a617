/** Dark by default; the choice is kept in localStorage. */

export type Theme = "dark" | "light";
export const THEME_KEY = "theo.theme";

export function loadTheme(storage: Pick<Storage, "getItem"> | null = safeStorage()): Theme {
  return storage?.getItem(THEME_KEY) === "light" ? "light" : "dark";
}

export function saveTheme(theme: Theme, storage: Pick<Storage, "setItem"> | null = safeStorage()): void {
  storage?.setItem(THEME_KEY, theme);
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

function safeStorage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}
