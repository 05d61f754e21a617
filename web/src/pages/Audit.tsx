import { useState } from "react";
import { api } from "../api/client";
import type { AuditEntry, Page } from "../api/types";
import { Card, ErrorText, PageTitle, Time } from "../components/common";
import { DataTable, Pager, type ColumnDef } from "../components/DataTable";
import { FilterBar } from "../components/Filters";
import { useLive } from "../context";
import { describeChange } from "../lib/describe";
import { useLoad, useThrottledEffect } from "../lib/hooks";

const LIMIT = 50;

/** A before/after value in one line: `threshold: 0.7`, or compact JSON. */

const COLUMNS: ColumnDef<AuditEntry>[] = [
  { key: "ts", label: "When", render: (a) => <Time value={a.ts} /> },
  { key: "actor", label: "Who" },
  { key: "action", label: "Action" },
  { key: "origin", label: "From" },
  { key: "before", label: "Before", render: (a) => <span className="change">{describeChange(a.before)}</span> },
  { key: "after", label: "After", render: (a) => <span className="change">{describeChange(a.after)}</span> },
  { key: "detail", label: "Detail", render: (a) => <span className="change">{describeChange(a.detail)}</span> },
];

export function AuditPage() {
  const { live } = useLive();
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [offset, setOffset] = useState(0);
  const audit = useLoad(
    () => api.get<Page<AuditEntry>>("/audit", { actor, action, limit: LIMIT, offset }),
    JSON.stringify({ actor, action, offset }),
  );
  useThrottledEffect(audit.reload, live.touched.state, 1000);
  return (
    <div className="page">
      <PageTitle>Audit log</PageTitle>
      <FilterBar>
        <label className="filter">
          <span>Who</span>
          <input value={actor} data-testid="filter-actor" placeholder="any"
            onChange={(e) => { setActor(e.target.value); setOffset(0); }} />
        </label>
        <label className="filter">
          <span>Action</span>
          <input value={action} data-testid="filter-action" placeholder="any (e.g. state.halt)"
            onChange={(e) => { setAction(e.target.value); setOffset(0); }} />
        </label>
      </FilterBar>
      <ErrorText error={audit.error} />
      <Card>
        <DataTable testId="audit-table" columns={COLUMNS} rows={audit.data?.items ?? []} rowId={(a) => a.id}
          empty="Nothing audited yet" />
        <Pager total={audit.data?.total ?? 0} limit={LIMIT} offset={offset} onChange={setOffset} />
      </Card>
    </div>
  );
}
