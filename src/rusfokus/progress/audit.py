"""Audit log of admin actions (who did what, when). People are named by id only."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.progress.models import AuditEntry

if TYPE_CHECKING:
    import pandas as pd


def log_action(
    session: Session, actor: str, action: str, target: str = "", detail: str = "", *, now: datetime | None = None
) -> AuditEntry:
    entry = AuditEntry(
        at=now or datetime.now(), actor=actor or "ukendt", action=action, target=target or "", detail=detail or ""
    )
    session.add(entry)
    return entry


def audit_frame(session: Session, limit: int = 500) -> pd.DataFrame:
    import pandas as pd  # not at the top: every feature logs actions, the dashboard's first view without pandas

    rows = session.execute(
        select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.detail)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["at", "actor", "action", "target", "detail"])
