"""History in words: an audit entry's field codes and ids as a person reads them ("Owner: Jonas →
Ana", never `owner_id 7`). The words live here, in one named place, marked for translation
(`_l`: shown in the reader's language when rendered)."""

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Customer,
    CustomFieldDefinition,
    LifecycleStage,
    Organisation,
    Requirement,
    Team,
    User,
)
from web.record_words import enum_label, stage_name
from web.requirements.access import readable

FIELD_LABELS = {
    "name": _l("Name"),
    "primary_email": _l("Primary email"),
    "emails": _l("Email addresses"),
    "phones": _l("Phone numbers"),
    "organisation_id": _l("Organisation"),
    "owner_id": _l("Owner"),
    "stage_id": _l("Stage"),
    "time_zone": _l("Time zone"),
    "language": _l("Language"),
    "address_line": _l("Address"),
    "city": _l("City"),
    "district": _l("District"),
    "region": _l("Region / province"),
    "postal_code": _l("Postal code"),
    "country": _l("Country"),
    "notes": _l("Notes"),
    "tags": _l("Tags"),
    "custom": _l("Custom fields"),
    "assignee_id": _l("Assignee"),
    "team_id": _l("Team"),
    "priority": _l("Priority"),
    "title": _l("Title"),
    "description": _l("Description"),
    "category": _l("Category"),
    "customer_id": _l("Customer"),
    "requirement_id": _l("Requirement"),
    "author_id": _l("Author"),
    "recorded_by_id": _l("Recorded by"),
    "merged_into_id": _l("Merged into"),
    "body": _l("Text"),
    "channel": _l("Channel"),
    "direction": _l("Direction"),
    "occurred_at": _l("When"),
    "amount": _l("Amount"),
    "currency": _l("Currency"),
    "website": _l("Website"),
    "domain": _l("Domain"),
    "subject": _l("Subject"),
    "body_html": _l("Text (formatted)"),
    "participants": _l("Participants"),
    "duration_seconds": _l("Duration (seconds)"),
    "kind": _l("Kind"),
    "status": _l("Status"),
    "occurred_on": _l("Date"),
    "reference": _l("Reference"),
    "email": _l("Email"),
    "phone": _l("Phone"),
}
ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Edited"),
    "delete": _l("Moved to the trash"),
    "restore": _l("Restored"),
    "merge": _l("Merged"),
    "purge": _l("Deleted for good"),
    "legal_hold": _l("Legal hold"),
    "erase": _l("Erased"),
}
ENTITY_LABELS = {"communication": _l("communication"), "transaction": _l("transaction")}
# Fields that hold a stored code (`call`, `outbound`, `refund`): shown in words.
CODE_FIELDS = frozenset({"channel", "direction", "kind", "status", "priority"})
# Which table names the thing an id field points to.
ID_FIELDS: dict[str, Any] = {
    "owner_id": User,
    "assignee_id": User,
    "author_id": User,
    "recorded_by_id": User,
    "team_id": Team,
    "organisation_id": Organisation,
    "stage_id": LifecycleStage,
    "customer_id": Customer,
    "merged_into_id": Customer,
}


@dataclass(frozen=True)
class Change:
    field: str  # the words, e.g. "Owner"
    before: Any
    after: Any


def field_label(code: str) -> str:
    if code in FIELD_LABELS:
        return str(FIELD_LABELS[code])
    if code.startswith("consent."):
        return _("Consent to %(channel)s", channel=enum_label(code.removeprefix("consent.")))
    if code.startswith("custom."):  # a custom field by its key, where no label is at hand
        return code.removeprefix("custom.").replace("_", " ").capitalize()
    words = code.removesuffix("_id").replace("_", " ").replace(".", " ")
    return words.capitalize()


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code) or code.replace("_", " ").capitalize())


def describe(session: Session, changes: dict[str, Any], *, entity: str = "") -> list[Change]:
    """Each change with its field's words and ids turned into names (looked up once per kind).
    A requirement's `merged_into_id` points to a requirement, a customer's to a customer."""
    ids: dict[Any, set[int]] = {}
    for code, pair in changes.items():
        model = _model_for(code, entity)
        if model is not None and isinstance(pair, list | tuple):
            ids.setdefault(model, set()).update(v for v in pair if isinstance(v, int))
    names = {model: _names(session, model, found) for model, found in ids.items()}
    if isinstance(changes.get("custom"), list | tuple):  # custom fields by their labels
        labels = _custom_labels(session, changes["custom"], entity)
        changes = {**changes, "custom": [_relabel(v, labels) for v in changes["custom"]]}
    rows = []
    for code, pair in sorted(changes.items(), key=lambda item: field_label(item[0])):
        model = _model_for(code, entity)
        lookup = names.get(model, {}) if model is not None else {}
        if isinstance(pair, list | tuple) and len(pair) == 2:
            before, after = (_shown(v, lookup, model) for v in pair)
        else:
            before, after = None, pair
        if code in CODE_FIELDS:
            before, after = (v if v is None else str(enum_label(v)) for v in (before, after))
        rows.append(Change(field_label(code), before, after))
    return rows


def sentence(changes: list[Change]) -> str:
    """ "Owner: Jonas → Ana; Stage: lead → customer" for a one-line timeline."""
    return "; ".join(f"{c.field}: {_text(c.before)} → {_text(c.after)}" for c in changes)


def _custom_labels(session: Session, pair: Any, entity: str) -> dict[str, str]:
    keys = {k for side in pair if isinstance(side, dict) for k in side}
    if not keys:
        return {}
    query = select(CustomFieldDefinition.key, CustomFieldDefinition.label).where(
        CustomFieldDefinition.key.in_(keys)
    )
    if entity in ("customer", "organisation"):
        query = query.where(CustomFieldDefinition.entity == entity)
    return dict(session.execute(query).all())


def _relabel(value: Any, labels: dict[str, str]) -> Any:
    if not isinstance(value, dict):
        return value
    return {labels.get(k) or k.replace("_", " "): v for k, v in value.items()}


def _model_for(code: str, entity: str) -> Any:
    if code == "merged_into_id" and entity == "requirement":
        return Requirement
    if code == "requirement_id":
        return Requirement
    return ID_FIELDS.get(code)


def _shown(value: Any, lookup: dict[int, str], model: Any) -> Any:
    if model is None or not isinstance(value, int):
        return value
    return lookup.get(value) or f"#{value}"


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    if model is Requirement:  # a requirement the viewer may not read stays a bare number
        rows = session.execute(
            select(model.id, model.title).where(model.id.in_(ids), readable())
        ).all()
        return {i: f"#{i} {title}" for i, title in rows}
    if model is LifecycleStage:  # a default stage in the reader's words
        rows = session.execute(select(model.id, model.key, model.name).where(model.id.in_(ids)))
        return {i: stage_name(key, name) for i, key, name in rows}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _text(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
