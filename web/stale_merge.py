"""Stale edits merge instead of overwriting (the UI's side; the API still answers 412). A form
carries the values it was loaded with (`original-<field>`); a save made on an old version applies
only the fields this editor changed, keeps what others changed meanwhile, and shows as a conflict
only the fields both changed — side by side, with who changed them and when ("changed by Ana
2 minutes ago"), never version numbers."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry, User

PREFIX = "original-"
# Form field names whose audit key differs (the audit snapshot names the column).
AUDIT_KEYS = {"stage": "stage_id"}


@dataclass(frozen=True)
class Merge:
    mine: set[str]  # what this editor changed
    theirs: set[str]  # what others changed since the form was loaded
    both: set[str]  # changed by both, to different values: the conflict


def raw(field: Any) -> str:
    """A field's value as the form carries it, comparable across loads and posts."""
    data = field.data
    if isinstance(data, list | tuple):
        return "\n".join(str(d) for d in data)
    if data is None or data is False:
        return ""
    if data is True:
        return "y"
    return str(data).replace("\r\n", "\n").strip()


def originals_of(form: Any, names: Iterable[str]) -> dict[str, str]:
    """The values the form was loaded with, as posted (every name, or {} for an old form)."""
    found = {n: request.form.get(PREFIX + n) for n in names}
    if any(v is None for v in found.values()):
        return {}
    return {n: v.replace("\r\n", "\n").strip() for n, v in found.items() if v is not None}


def originals_from(form: Any, names: Iterable[str]) -> list[tuple[str, str]]:
    """Hidden fields to render: the form's current values become its originals."""
    return [(PREFIX + n, raw(form[n])) for n in names]


def merge(mine: Any, saved: Any, names: Iterable[str], originals: dict[str, str]) -> Merge:
    """Take the saved value into `mine` for every field this editor left alone."""
    names = list(names)
    changed_by_me = {n for n in names if raw(mine[n]) != originals[n]}
    changed_by_them = {n for n in names if raw(saved[n]) != originals[n]}
    both = {n for n in changed_by_me & changed_by_them if raw(mine[n]) != raw(saved[n])}
    for name in set(names) - changed_by_me:
        mine[name].data = saved[name].data
    return Merge(changed_by_me, changed_by_them, both)


def who_changed(
    session: Session, entity_type: str, entity_id: int, names: Iterable[str], now: datetime
) -> dict[str, str]:
    """ "changed by Ana 2 minutes ago" per field, from the newest audit entry naming it."""
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(20)
    ).all()
    actors = {e.actor_id for e in entries if e.actor_id is not None}
    people = dict(session.execute(select(User.id, User.name).where(User.id.in_(actors))).all())
    words = {}
    for name in names:
        key = AUDIT_KEYS.get(name, name)
        entry = next(
            (e for e in entries if key in (e.changes or {}) or _custom(name, e)),
            entries[0] if entries else None,
        )
        if entry is None:
            words[name] = _("changed by someone else")
            continue
        who = people.get(entry.actor_id, _("someone else")) if entry.actor_id else _("the system")
        words[name] = _("changed by %(who)s %(when)s", who=who, when=ago(now - entry.at))
    return words


def _custom(name: str, entry: AuditEntry) -> bool:
    return name.startswith("custom") and "custom" in (entry.changes or {})


def ago(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 45:
        return _("just now")
    if seconds >= 86400:
        return ngettext("%(num)s day ago", "%(num)s days ago", max(round(seconds / 86400), 1))
    if seconds >= 3600:
        return ngettext("%(num)s hour ago", "%(num)s hours ago", max(round(seconds / 3600), 1))
    return ngettext("%(num)s minute ago", "%(num)s minutes ago", max(round(seconds / 60), 1))
