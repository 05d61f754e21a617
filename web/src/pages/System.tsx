import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import type { Freshness, LogLine, SystemInfo } from "../api/types";
import { Card, ErrorText, PageTitle, Time } from "../components/common";
import { DataTable, type ColumnDef } from "../components/DataTable";
import { SelectFilter } from "../components/Filters";
import { formatAge, formatExchangeTime } from "../lib/format";
import { useInterval, useLoad } from "../lib/hooks";

const FRESHNESS: ColumnDef<Freshness>[] = [
  { key: "symbol", label: "Symbol" },
  { key: "last_tick", label: "Last tick", render: (f) => <Time value={f.last_tick} /> },
  { key: "age_seconds", label: "Age", numeric: true, render: (f) => formatAge(f.age_seconds) },
  { key: "fresh", label: "Fresh", render: (f) => <span className={f.fresh ? "pos" : "neg"}>{f.fresh ? "yes" : "stale"}</span> },
];

export function SystemPage() {
  const [level, setLevel] = useState("");
  const [lines, setLines] = useState("200");
  const system = useLoad(() => api.get<SystemInfo>("/system"), "system");
  const logs = useLoad(
    () => api.get<{ file?: string | null; lines: LogLine[] }>("/system/logs", { lines, level }),
    `${lines}-${level}`,
  );
  useInterval(() => { system.reload(); logs.reload(); }, 5000);
  // A tail reads from the bottom: keep the newest line in view unless the reader scrolled up.
  const pre = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);
  useEffect(() => {
    const el = pre.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [logs.data]);
  const s = system.data;
  return (
    <div className="page">
      <PageTitle>System</PageTitle>
      <ErrorText error={system.error} />
      <div className="grid-2">
        <Card title="Health checks">
          <div className="kv">
            <span>Version</span><span data-testid="system-version">{s?.version ?? "—"}</span>
            <span>Run</span>
            <span>{s?.run ? `${s.run.mode} · ${s.run.feed} · ${s.run.status} (#${s.run.id})` : "not running"}</span>
            {s?.run?.heartbeat && (<><span>Heartbeat</span><span><Time value={s.run.heartbeat} /></span></>)}
          </div>
          <ul className="checks" data-testid="health-checks">
            {(s?.checks ?? []).map((c) => (
              <li key={c.name}>
                <span className={`dot ${c.ok ? "ok" : "bad"}`} /> <strong>{c.name}</strong>{" "}
                <span className="muted">{c.detail ?? ""}</span>
              </li>
            ))}
          </ul>
        </Card>
        <Card title="Data freshness">
          <DataTable testId="freshness-table" columns={FRESHNESS} rows={s?.freshness ?? []} rowId={(f) => f.symbol}
            empty="No symbols" />
        </Card>
      </div>
      <Card title="Log tail" actions={
        <div className="filters inline">
          <SelectFilter label="Level" value={level} onChange={setLevel} testId="log-level"
            options={["", "debug", "info", "warning", "error"].map((l) => ({ value: l, label: l || "all" }))} />
          <SelectFilter label="Lines" value={lines} onChange={setLines} testId="log-lines"
            options={["100", "200", "500", "1000"].map((l) => ({ value: l, label: l }))} />
        </div>
      }>
        <ErrorText error={logs.error} />
        {logs.data && "file" in logs.data && <div className="muted small">{String(logs.data.file ?? "no log file configured")}</div>}
        <pre className="logs" data-testid="logs" ref={pre}
          onScroll={(e) => {
            const el = e.currentTarget;
            pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 30;
          }}>
          {(logs.data?.lines ?? []).map((l, i) => (
            <div key={i} className={`log log-${l.level.toLowerCase()}`}>
              <span className="muted">{l.ts ? formatExchangeTime(l.ts, false) : ""}</span>{" "}
              <span className="lvl">{l.level.toUpperCase().padEnd(7)}</span> {l.text || l.event}
            </div>
          ))}
        </pre>
      </Card>
    </div>
  );
}
