import type { ReactNode } from "react";
import { formatExchangeTime, formatMoney, formatPnl, pnlClass, type TimeInput } from "../lib/format";

export function Money({ value, testId }: { value: string | number | null | undefined; testId?: string }) {
  return (
    <span className="num" data-testid={testId}>
      {formatMoney(value)}
    </span>
  );
}

export function Pnl({ value, testId }: { value: string | number | null | undefined; testId?: string }) {
  return (
    <span className={`num ${pnlClass(value)}`} data-testid={testId}>
      {formatPnl(value)}
    </span>
  );
}

export function Time({ value }: { value: TimeInput }) {
  return <span className="time">{formatExchangeTime(value)}</span>;
}

export function Card({ title, children, actions, className }: {
  title?: ReactNode;
  children: ReactNode;
  actions?: ReactNode;
  className?: string;
}) {
  return (
    <section className={`card ${className ?? ""}`}>
      {(title || actions) && (
        <header className="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{children}</div>
    </div>
  );
}

export function ErrorText({ error }: { error: string | null | undefined }) {
  return error ? <div className="error" role="alert">{error}</div> : null;
}

export function Loading({ show }: { show: boolean }) {
  return show ? <div className="muted">Loading…</div> : null;
}

export function StatusPill({ value }: { value: string | null | undefined }) {
  const text = value ?? "—";
  return <span className={`pill pill-${text.toLowerCase().replace(/[^a-z]+/g, "-")}`}>{text}</span>;
}

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-title">
      <h1>{children}</h1>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}
