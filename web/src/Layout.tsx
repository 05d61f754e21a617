import { useState, type ReactNode } from "react";
import { roleAtLeast, useLive, useSession } from "./context";
import type { Role } from "./api/types";
import { formatExchangeClock } from "./lib/format";
import { href } from "./lib/route";

export const PAGES: { id: string; label: string; role?: Role }[] = [
  { id: "overview", label: "Overview" },
  { id: "trades", label: "Trades" },
  { id: "orders", label: "Orders" },
  { id: "signals", label: "Signals" },
  { id: "charts", label: "Charts" },
  { id: "correlation", label: "Correlation" },
  { id: "strategy", label: "Strategy" },
  { id: "risk", label: "Risk" },
  { id: "backtests", label: "Backtests" },
  { id: "system", label: "System" },
  { id: "audit", label: "Audit log" },
  { id: "users", label: "Users", role: "admin" },
];

export function Layout({ page, children, onLogout, onToggleTheme }: {
  page: string;
  children: ReactNode;
  onLogout: () => void;
  onToggleTheme: () => void;
}) {
  const { me, theme } = useSession();
  const { live, status } = useLive();
  const [dismissed, setDismissed] = useState(0);
  const alert = live.alerts.find((a) => a.seq > dismissed) ?? null;
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">
          <span className="logo">T</span> Theo
        </div>
        <nav>
          {PAGES.filter((p) => !p.role || roleAtLeast(me.role, p.role)).map((p) => (
            <a key={p.id} href={href(p.id)} data-testid={`nav-${p.id}`} className={page === p.id ? "active" : ""}>
              {p.label}
            </a>
          ))}
        </nav>
        <div className="sidebar-foot">
          <div className={`stream stream-${status}`} title="Live event stream">
            <span className="dot" /> {status === "open" ? "live" : status}
          </div>
          <div className="who">
            {me.username} <span className="muted">({me.role})</span>
          </div>
          <div className="sidebar-buttons">
            <button type="button" data-testid="theme-toggle" onClick={onToggleTheme}
              title="Switch between dark and light">
              {theme === "dark" ? "☀ Light" : "☾ Dark"}
            </button>
            <button type="button" data-testid="logout" onClick={onLogout}>
              Log out
            </button>
          </div>
        </div>
      </aside>
      <main className="content">
        {alert && (
          <div className={`alert-bar alert-${alert.level}`} role="status" data-testid="alert-bar">
            <span>{alert.ts ? `${formatExchangeClock(alert.ts, true)} ` : ""}{alert.text}</span>
            <button type="button" className="link" aria-label="Dismiss" onClick={() => setDismissed(live.alerts[0].seq)}>
              ✕
            </button>
          </div>
        )}
        {children}
      </main>
    </div>
  );
}
