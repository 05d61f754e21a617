import { useState } from "react";
import { api } from "../api/client";
import type { StateBody } from "../api/types";
import { useCan } from "../context";
import { ConfirmDialog } from "./ConfirmDialog";

type Action = "halt" | "resume" | "kill";

const TEXT: Record<Action, { title: string; message: string; ok: string }> = {
  halt: {
    title: "Halt trading",
    message: "No new entries will be placed. Open trades keep their stops and exits.",
    ok: "Halt",
  },
  resume: { title: "Resume trading", message: "Signals may place orders again.", ok: "Resume" },
  kill: {
    title: "Kill switch",
    message: "Cancels every working order and halts trading.",
    ok: "Kill",
  },
};

export function StateBadge({ state }: { state: string | null | undefined }) {
  const text = state ?? "—";
  return (
    <span className={`state-badge state-${text.toLowerCase()}`} data-testid="state-badge">
      {text}
    </span>
  );
}

/** Halt / resume / kill-and-flatten, each behind a confirmation with a reason; disabled below trader. */
export function StateControls({ state, onChanged }: { state: string | null; onChanged: (s: StateBody) => void }) {
  const canTrade = useCan("trader");
  const [action, setAction] = useState<Action | null>(null);
  const [flatten, setFlatten] = useState(true);
  const tip = canTrade ? undefined : "Needs the trader role";

  const confirm = async (reason: string) => {
    if (!action) return;
    const body = action === "kill" ? { reason, flatten } : { reason };
    const next = await api.post<StateBody>(`/state/${action}`, body);
    setAction(null);
    onChanged(next);
  };

  return (
    <div className="state-controls">
      <button type="button" data-testid="btn-halt" className="warn" disabled={!canTrade || state === "HALTED"}
        title={tip} onClick={() => setAction("halt")}>
        Halt
      </button>
      <button type="button" data-testid="btn-resume" className="primary" disabled={!canTrade || state === "ACTIVE"}
        title={tip} onClick={() => setAction("resume")}>
        Resume
      </button>
      <button type="button" data-testid="btn-kill" className="danger" disabled={!canTrade} title={tip}
        onClick={() => setAction("kill")}>
        Kill &amp; flatten
      </button>
      {action && (
        <ConfirmDialog
          title={TEXT[action].title}
          message={TEXT[action].message}
          confirmLabel={TEXT[action].ok}
          danger={action !== "resume"}
          onCancel={() => setAction(null)}
          onConfirm={confirm}
          extra={
            action === "kill" ? (
              <label className="check">
                <input type="checkbox" data-testid="confirm-flatten" checked={flatten}
                  onChange={(e) => setFlatten(e.target.checked)} />
                Flatten every open position at market
              </label>
            ) : null
          }
        />
      )}
    </div>
  );
}
