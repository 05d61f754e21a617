import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { LoginResponse, Me } from "../api/types";
import type { Theme } from "../lib/theme";

export function LoginPage({ onLogin, theme, onToggleTheme }: {
  onLogin: (me: Me) => void;
  theme: Theme;
  onToggleTheme: () => void;
}) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<LoginResponse>("/auth/login", { username, password });
      onLogin({ username: res.username, role: res.role, csrf_token: res.csrf_token, expires_at: res.expires_at });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <form className="login-card" onSubmit={(e) => void submit(e)}>
        <div className="brand big">
          <span className="logo">T</span> Theo
        </div>
        <label className="field">
          <span>Username</span>
          <input data-testid="login-username" autoComplete="username" value={username} autoFocus
            onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label className="field">
          <span>Password</span>
          <input data-testid="login-password" type="password" autoComplete="current-password" value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && <div className="error" data-testid="login-error" role="alert">{error}</div>}
        <button type="submit" className="primary" data-testid="login-submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <button type="button" className="link" data-testid="theme-toggle" onClick={onToggleTheme}>
          {theme === "dark" ? "Light mode" : "Dark mode"}
        </button>
      </form>
    </div>
  );
}
