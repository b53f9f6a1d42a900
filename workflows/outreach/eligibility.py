"""Who may be contacted on a channel, checked in bulk: an address or number, consent and the
suppression list. Used at enrolment and in the dry run; each step checks again when sent."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Consent, Customer, CustomerPhone, EnrolmentEvent
from workflows.outreach import suppressions, windows
from workflows.outreach.sql import among

WEEK = timedelta(days=7)


@dataclass
class Checked:
    """One chunk of an audience, sorted: who may be enrolled (with their zone), who not and why,
    and who would be held back by the weekly cap at first."""

    eligible: list[tuple[int, str]] = field(default_factory=list)  # (customer id, zone)
    excluded: Counter[str] = field(default_factory=Counter)
    capped: set[int] = field(default_factory=set)
    names: dict[int, str] = field(default_factory=dict)


def consent_given(latest: bool | None, rule: str) -> bool:
    """`granted`: only after a recorded grant; `not_withdrawn`: unless withdrawn."""
    return bool(latest) if rule == "granted" else latest is not False


def latest_consents(session: Session, customer_ids: Sequence[int], channel: str) -> dict[int, bool]:
    rows = session.execute(
        select(Consent.customer_id, Consent.is_granted)
        .where(among(session, Consent.customer_id, customer_ids), Consent.channel == channel)
        .order_by(Consent.at, Consent.id)
    )
    return dict(rows.all())  # later rows overwrite earlier ones: the latest counts


def sent_this_week(session: Session, customer_ids: Sequence[int], now: datetime) -> dict[int, int]:
    rows = session.execute(
        select(EnrolmentEvent.customer_id, func.count())
        .where(
            among(session, EnrolmentEvent.customer_id, customer_ids),
            EnrolmentEvent.kind == "sent",
            EnrolmentEvent.at > now - WEEK,
        )
        .group_by(EnrolmentEvent.customer_id)
    )
    return dict(rows.all())


def check(
    session: Session, definition: dict[str, Any], customer_ids: Sequence[int], now: datetime
) -> Checked:
    """Sort `customer_ids` by whether the strategy's first step could reach them."""
    result = Checked()
    if not customer_ids:
        return result
    channel = definition["steps"][0]["channel"]
    default_zone = definition["window"]["default_time_zone"]
    customers = session.execute(
        select(Customer.id, Customer.name, Customer.primary_email, Customer.time_zone).where(
            among(session, Customer.id, customer_ids)
        )
    ).all()
    consents = latest_consents(session, customer_ids, channel) if channel != "task" else {}
    phones: set[int] = set()
    if channel == "sms":
        phones = set(
            session.scalars(
                select(CustomerPhone.customer_id).where(
                    among(session, CustomerPhone.customer_id, customer_ids)
                )
            )
        )
    suppressed = suppressions.suppressed_among(session, (c.primary_email or "" for c in customers))
    cap = definition["caps"]["per_customer_per_week"]
    sent = sent_this_week(session, customer_ids, now)
    rule = definition.get("consent") or "granted"
    for customer in customers:
        reason = None
        if channel == "email" and not customer.primary_email:
            reason = "no_email"
        elif channel == "sms" and customer.id not in phones:
            reason = "no_phone"
        elif channel != "task" and not consent_given(consents.get(customer.id), rule):
            reason = "no_consent"
        elif customer.primary_email and customer.primary_email.lower() in suppressed:
            reason = "suppressed"
        if reason:
            result.excluded[reason] += 1
            continue
        result.eligible.append((customer.id, windows.zone_of(customer.time_zone, default_zone)))
        result.names[customer.id] = customer.name
        if sent.get(customer.id, 0) >= cap:
            result.capped.add(customer.id)
    return result
