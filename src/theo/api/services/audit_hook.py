"""The audit row of a settings save: the action, and each changed key's value before and after."""

from __future__ import annotations

from theo.api.services.audit import record
from theo.api.services.config_file import Saved
from theo.api.services.context import Actor, ServiceContext


def audited(ctx: ServiceContext, actor: Actor, action: str, saved: Saved, detail: str) -> None:
    """Record a save that changed something (a save that changed nothing leaves no row)."""
    if not saved.after:
        return
    record(ctx, actor, action, before=saved.before, after=saved.after,
           detail=f"{detail}: {', '.join(sorted(saved.after))}")
