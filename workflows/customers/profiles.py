"""Customers: the only code that writes them. Validates everything first and writes nothing
when any field is wrong; every change lands in the audit log and the search document."""

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Channel,
    Consent,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomFieldDefinition,
    LifecycleStage,
    Organisation,
    Tag,
    User,
)
from workflows.customers import custom_fields, sales_rollups, search_index
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.platform.subject_data import ERASED

FIELDS = (
    "name",
    "emails",
    "phones",
    "organisation_id",
    "owner_id",
    "stage",
    "time_zone",
    "language",
    "address_line",
    "district",
    "city",
    "region",
    "postal_code",
    "country",
    "notes",
    "tags",
    "custom",
)
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
TAG_RE = re.compile(r"^[\w][\w .&/+-]{0,59}$")


def normalise_phone(raw: str, default_region: str | None) -> str:
    """E.164 form of `raw` (spaces, dots, brackets allowed), or ValueError."""
    try:
        text = raw.strip()
        if text.startswith("00") and not text.startswith("000"):
            # The international call prefix most of the world dials ("0049…"), written where
            # a "+" belongs; without a region phonenumbers cannot tell it from a local number.
            text = "+" + text[2:]
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(Message(N_("%(value)s is not a phone number."), value=repr(raw))) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(Message(N_("%(value)s is not a valid phone number."), value=repr(raw)))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _as_list(value: Any) -> list[str] | None:
    """A form's comma-separated text or the API's list of strings; None for anything else."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[,;\n]", value) if v.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


class _Cleaner:
    """Collects every field's problems, so a form or API shows them all at once."""

    def __init__(self, session: Session, default_region: str | None) -> None:
        self.session = session
        self.default_region = default_region
        self.errors: dict[str, list[str]] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def text(self, value: Any, field: str, limit: int, required: bool = False) -> str | None:
        if value is not None and not isinstance(value, str):
            self.fail(
                field, Message(N_("Send this as text."))
            )  # a list would otherwise be stored as its repr
            return None
        text = (str(value).strip() if value is not None else "") or None
        if required and not text:
            self.fail(field, Message(N_("This field is required.")))
        if text and len(text) > limit:
            self.fail(field, Message(N_("Use at most %(limit)s characters."), limit=limit))
        return text

    def items(self, value: Any, field: str) -> list[str]:
        items = _as_list(value)
        if items is None:
            self.fail(field, Message(N_("Send a list of strings (or one comma-separated string).")))
            return []
        return items

    def emails(self, value: Any) -> list[str]:
        result = []
        for raw in self.items(value, "emails"):
            try:
                email = validate_email(raw, check_deliverability=False).normalized.lower()
            except EmailNotValidError as exc:
                # Translators: the reason is email-validator's English sentence.
                self.fail(
                    "emails", Message(N_("%(value)s: %(reason)s"), value=repr(raw), reason=str(exc))
                )
                continue
            if email not in result:
                result.append(email)
        return result

    def phones(self, value: Any) -> list[str]:
        result = []
        for raw in self.items(value, "phones"):
            try:
                phone = normalise_phone(raw, self.default_region)
            except ValueError as exc:
                self.fail("phones", exc.args[0] if exc.args else str(exc))
                continue
            if phone not in result:
                result.append(phone)
        return result

    def reference(self, model: type, value: Any, field: str) -> int | None:
        if value in (None, ""):
            return None
        try:
            ident = int(value)
        except (TypeError, ValueError):
            self.fail(field, Message(N_("Choose an existing record.")))
            return None
        row = self.session.get(model, ident)
        if row is None or getattr(row, "deleted_at", None) is not None:
            self.fail(field, Message(N_("Choose an existing record.")))
            return None
        if isinstance(row, User) and not row.is_active:
            self.fail(field, Message(N_("This user is inactive.")))
        return ident

    def stage(self, value: Any) -> int | None:
        if value in (None, ""):
            return None
        stage = self.session.scalar(
            select(LifecycleStage).where(LifecycleStage.key == str(value), LifecycleStage.is_active)
        )
        if stage is None:
            keys = self.session.scalars(
                select(LifecycleStage.key)
                .where(LifecycleStage.is_active)
                .order_by(LifecycleStage.position, LifecycleStage.id)
            )
            self.fail("stage", Message(N_("Choose one of: %(choices)s."), choices=", ".join(keys)))
            return None
        return stage.id

    def time_zone(self, value: Any) -> str | None:
        name = self.text(value, "time_zone", 64)
        if name:
            try:
                zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                self.fail(
                    "time_zone",
                    Message(N_("Unknown time zone %(name)s (use an IANA name)."), name=repr(name)),
                )
        return name

    def pattern(self, value: Any, field: str, regex: re.Pattern[str], message: str) -> str | None:
        text = self.text(value, field, 16)
        if text and not regex.match(text):
            self.fail(field, message)
        return text

    def tags(self, value: Any) -> list[str]:
        names = []
        for raw in self.items(value, "tags"):
            name = raw.lower()
            if not TAG_RE.match(name):
                self.fail(
                    "tags",
                    Message(
                        N_("%(value)s: letters, digits, spaces and .&/+- only, 60 at most."),
                        value=repr(raw),
                    ),
                )
            elif name not in names:
                names.append(name)
        return names


def clean(
    session: Session,
    data: dict[str, Any],
    *,
    current: Customer | None = None,
    default_region: str | None = None,
    custom_definitions: list[CustomFieldDefinition] | None = None,
    primary_email_owners: Mapping[str, Customer | None] | None = None,
) -> dict[str, Any]:
    """Validated values for the fields present in `data`; raises ValidationFailed naming each
    bad field. Unknown fields are refused too, so a typo is not silently ignored.
    An import checking many rows passes what it loaded for a whole batch, sparing a query or
    two per row: `custom_definitions` (the active customer fields) and `primary_email_owners`
    (the live customer whose primary email each address is, or None)."""
    # A number typed without "+" is read in the customer's country, else the install's region.
    c = _Cleaner(session, (current.country if current else None) or default_region)
    if unknown := set(data) - set(FIELDS):
        for field in sorted(unknown):
            c.fail(field, Message(N_("Unknown field.")))
    values: dict[str, Any] = {}
    if "name" in data or current is None:
        values["name"] = c.text(data.get("name"), "name", 200, required=True)
    if "country" in data:
        country = c.text(data["country"], "country", 2)
        country = country.upper() if country else None
        if country and not COUNTRY_RE.match(country):
            c.fail("country", Message(N_("Use a two-letter ISO 3166 country code, e.g. DE.")))
        values["country"] = country
        c.default_region = country or c.default_region
    if "emails" in data:
        values["emails"] = c.emails(data["emails"])
    if "phones" in data:
        values["phones"] = c.phones(data["phones"])
    if "organisation_id" in data:
        values["organisation_id"] = c.reference(
            Organisation, data["organisation_id"], "organisation_id"
        )
    if "owner_id" in data:
        values["owner_id"] = c.reference(User, data["owner_id"], "owner_id")
    if "stage" in data:
        values["stage_id"] = c.stage(data["stage"])
    if "time_zone" in data:
        values["time_zone"] = c.time_zone(data["time_zone"])
    if "language" in data:
        values["language"] = c.pattern(
            data["language"],
            "language",
            LANGUAGE_RE,
            Message(N_("Use a language tag such as en or pt-BR.")),
        )
    for field, limit in (
        ("address_line", 300),
        ("district", 120),
        ("city", 120),
        ("region", 120),
        ("postal_code", 20),
    ):
        if field in data:
            values[field] = c.text(data[field], field, limit)
    if "notes" in data:
        values["notes"] = c.text(data["notes"], "notes", 20_000)
    if "tags" in data:
        values["tags"] = c.tags(data["tags"])
    if "custom" in data or current is None:
        raw = data.get("custom") or {}
        if not isinstance(raw, dict):
            c.fail("custom", Message(N_("Send an object of custom field values.")))
            raw = {}
        values["custom"], custom_errors = custom_fields.clean(
            session,
            "customer",
            raw,
            current.custom if current else None,
            known_definitions=custom_definitions,
        )
        c.errors.update(custom_errors)
    if values.get("emails"):
        email = values["emails"][0]
        if primary_email_owners is not None and email in primary_email_owners:
            owner = primary_email_owners[email]
            if owner is not None and owner is not current:
                c.fail(
                    "emails",
                    Message(
                        N_("%(email)s is already the primary email of customer #%(id)s."),
                        email=email,
                        id=owner.id,
                    ),
                )
        else:
            _check_primary_email_free(session, email, current, c)
    if c.errors:
        raise ValidationFailed(c.errors)
    return values


def _check_primary_email_free(
    session: Session, email: str, current: Customer | None, c: _Cleaner
) -> None:
    query = select(Customer.id).where(
        Customer.primary_email == email, Customer.deleted_at.is_(None)
    )
    if current is not None:
        query = query.where(Customer.id != current.id)
    other = session.scalar(query.limit(1))
    if other is not None:
        c.fail(
            "emails",
            Message(
                N_("%(email)s is already the primary email of customer #%(id)s."),
                email=email,
                id=other,
            ),
        )


def snapshot(customer: Customer) -> dict[str, Any]:
    """The audited view of a customer."""
    return {
        "name": customer.name,
        "emails": [e.email for e in customer.emails],
        "phones": [p.e164 for p in customer.phones],
        "organisation_id": customer.organisation_id,
        "owner_id": customer.owner_id,
        "stage_id": customer.stage_id,
        "time_zone": customer.time_zone,
        "language": customer.language,
        "address_line": customer.address_line,
        "district": customer.district,
        "city": customer.city,
        "region": customer.region,
        "postal_code": customer.postal_code,
        "country": customer.country,
        "notes": customer.notes,
        "tags": [t.name for t in customer.tags],
        "custom": dict(customer.custom or {}),
    }


def _apply(session: Session, customer: Customer, values: dict[str, Any]) -> None:
    for field, value in values.items():
        if field == "emails":
            customer.emails = [
                CustomerEmail(email=email, is_primary=i == 0) for i, email in enumerate(value)
            ]
            customer.primary_email = value[0] if value else None
        elif field == "phones":
            customer.phones = [CustomerPhone(e164=phone) for phone in value]
        elif field == "tags":
            customer.tags = list(_tags(session, value))
        else:
            setattr(customer, field, value)


def _tags(session: Session, names: Iterable[str]) -> Iterable[Tag]:
    for name in names:
        tag = session.scalar(select(Tag).where(Tag.name == name))
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
        yield tag


def create_customer(
    session: Session,
    data: dict[str, Any],
    *,
    actor_id: int | None,
    clock: Clock,
    default_region: str | None = None,
) -> Customer:
    values = clean(session, data, default_region=default_region)
    now = clock.now()
    customer = Customer(name=values["name"], custom={}, created_at=now, updated_at=now)
    if actor_id is not None and "owner_id" not in values:
        values["owner_id"] = actor_id
    session.add(customer)
    _apply(session, customer, values)
    session.flush()
    audit.record(
        session,
        action="create",
        entity_type="customer",
        entity_id=customer.id,
        actor_id=actor_id,
        clock=clock,
        changes=audit.diff({}, snapshot(customer)),
    )
    search_index.refresh(session, customer, clock=clock)
    return customer


def update_customer(
    session: Session,
    customer: Customer,
    data: dict[str, Any],
    *,
    expected_version: int,
    actor_id: int | None,
    clock: Clock,
    default_region: str | None = None,
) -> Customer:
    """Apply the fields in `data` to the version the editor saw; StaleEdit if it moved on.
    `default_region` reads phone numbers typed without "+" when the customer has no country."""
    if customer.version != expected_version:
        raise StaleEdit(expected_version, customer.version)
    if customer.deleted_at is not None:
        raise ValidationFailed.field(
            "customer", Message(N_("This customer is in the trash; restore it first."))
        )
    values = clean(session, data, current=customer, default_region=default_region)
    before = snapshot(customer)
    _apply(session, customer, values)
    changes = audit.diff(before, snapshot(customer))
    if changes:
        customer.updated_at = clock.now()
        session.flush()
        audit.record(
            session,
            action="update",
            entity_type="customer",
            entity_id=customer.id,
            actor_id=actor_id,
            clock=clock,
            changes=changes,
        )
        search_index.refresh(session, customer, clock=clock)
    return customer


def delete_customer(
    session: Session, customer: Customer, *, actor_id: int | None, clock: Clock
) -> None:
    """Move to the trash (restorable)."""
    if customer.deleted_at is not None:
        return
    customer.deleted_at = clock.now()
    session.flush()
    audit.record(
        session,
        action="delete",
        entity_type="customer",
        entity_id=customer.id,
        actor_id=actor_id,
        clock=clock,
    )
    search_index.refresh(session, customer, clock=clock)


def restore_customer(
    session: Session, customer: Customer, *, actor_id: int | None, clock: Clock
) -> None:
    """Bring back from the trash, unless another live customer took its primary email."""
    if customer.deleted_at is None:
        return
    if customer.primary_email:
        c = _Cleaner(session, None)
        _check_primary_email_free(session, customer.primary_email, customer, c)
        if c.errors:
            raise ValidationFailed(c.errors)
    customer.deleted_at = None
    customer.merged_into_id = None
    session.flush()
    audit.record(
        session,
        action="restore",
        entity_type="customer",
        entity_id=customer.id,
        actor_id=actor_id,
        clock=clock,
    )
    search_index.refresh(session, customer, clock=clock)


def purge_customer(
    session: Session, customer: Customer, *, actor_id: int | None, clock: Clock
) -> None:
    """Delete for good (admins only, from the trash): the row and everything that cascades.
    The audit log keeps its rows (who did what, when) but not the customer's personal data:
    the entries about the customer, and any value elsewhere that mentions one of their email
    addresses or phone numbers, read "[erased]"."""
    if customer.deleted_at is None:
        raise ValidationFailed.field(
            "customer", Message(N_("Move the customer to the trash first."))
        )
    identifiers = [e.email for e in customer.emails] + [p.e164 for p in customer.phones]
    held = {field: ERASED for field, value in snapshot(customer).items() if value}
    audit.redact(session, identifiers, entity=("customer", customer.id))
    audit.record(
        session,
        action="purge",
        entity_type="customer",
        entity_id=customer.id,
        actor_id=actor_id,
        clock=clock,
        changes=audit.diff(held, {}),  # which fields it had, not their values
    )
    # The transactions go with the customer (ON DELETE CASCADE): their days' revenue changes.
    days = sales_rollups.days_of_customer(session, customer.id)
    session.delete(customer)
    session.flush()
    sales_rollups.refresh_days(session, days)


def set_consent(
    session: Session,
    customer: Customer,
    channel: Channel | str,
    *,
    granted: bool,
    method: str,
    actor_id: int | None,
    clock: Clock,
    note: str | None = None,
) -> Consent:
    """Record a grant or withdrawal (history is kept; the latest per channel counts)."""
    try:
        channel = Channel(channel)
    except ValueError as exc:
        allowed = ", ".join(c.value for c in Channel)
        raise ValidationFailed.field(
            "channel", Message(N_("Choose one of: %(choices)s."), choices=allowed)
        ) from exc
    method = (method or "").strip()
    if not method:
        raise ValidationFailed.field(
            "method", Message(N_("Say how consent was given or withdrawn."))
        )
    consent = Consent(
        channel=channel,
        is_granted=granted,
        at=clock.now(),
        method=method[:120],
        recorded_by_id=actor_id,
        note=(note or "").strip() or None,
    )
    customer.consents.append(consent)
    session.flush()
    audit.record(
        session,
        action="update",
        entity_type="customer",
        entity_id=customer.id,
        actor_id=actor_id,
        clock=clock,
        changes={f"consent.{channel.value}": [None, "granted" if granted else "withdrawn"]},
        note=method,
    )
    return consent
