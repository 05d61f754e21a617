import { useState, type ReactNode } from "react";

interface Props {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** Whether a reason must be typed before OK is enabled. */
  requireReason?: boolean;
  extra?: ReactNode;
  onConfirm: (reason: string) => Promise<void> | void;
  onCancel: () => void;
}

/** A modal asking for confirmation and a reason (recorded in the audit log). */
export function ConfirmDialog({ title, message, confirmLabel, danger, requireReason = true, extra, onConfirm,
  onCancel }: Props) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm(reason.trim());
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <div className="modal-backdrop" onClick={onCancel}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid="confirm-dialog"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === "Escape" && !busy) onCancel();
        }}
      >
        <h2>{title}</h2>
        <div className="modal-body">{message}</div>
        <label className="field">
          <span>Reason{requireReason ? "" : " (optional)"}</span>
          <textarea
            data-testid="confirm-reason"
            value={reason}
            rows={3}
            autoFocus
            onChange={(e) => setReason(e.target.value)}
            placeholder="Why? (kept in the audit log)"
          />
        </label>
        {extra}
        {error && <div className="error">{error}</div>}
        <div className="modal-actions">
          <button type="button" data-testid="confirm-cancel" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            data-testid="confirm-ok"
            className={danger ? "danger" : "primary"}
            disabled={busy || (requireReason && reason.trim() === "")}
            onClick={() => void submit()}
          >
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
