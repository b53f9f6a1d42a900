"""Shared set-up of the outreach tests: customers in a tagged segment, with consent, and a
strategy of email steps on it."""

from typing import Any

from sqlalchemy.orm import Session

from models import Customer
from workflows.customers import profiles, segments
from workflows.customers.queries import CustomerFilter
from workflows.outreach import strategies
from workflows.platform.clock import Clock

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo")


def make_customers(
    session: Session,
    clock: Clock,
    count: int,
    *,
    tag: str = "outreach",
    consent: bool = True,
    first: int = 0,
) -> list[Customer]:
    made = []
    for n in range(first, first + count):
        customer = profiles.create_customer(
            session,
            {
                "name": f"Customer {n}",
                "emails": f"c{n}@example.com",
                "time_zone": ZONES[n % len(ZONES)],
                "tags": [tag],
            },
            actor_id=None,
            clock=clock,
        )
        if consent:
            profiles.set_consent(
                session,
                customer,
                "email",
                granted=True,
                method="web form",
                actor_id=None,
                clock=clock,
            )
        made.append(customer)
    session.flush()
    return made


def email_steps(count: int = 3, delay_days: int = 1) -> list[dict[str, Any]]:
    return [
        {
            "channel": "email",
            "subject": f"Step {i + 1} for {{{{ customer.first_name }}}}",
            "body": f"Hello {{{{ customer.name }}}}, step {i + 1}. {{{{ unsubscribe_url }}}}",
            "delay": {"amount": 0 if i == 0 else delay_days, "unit": "calendar_days"},
        }
        for i in range(count)
    ]


def make_strategy(
    session: Session, clock: Clock, *, tag: str = "outreach", **definition: Any
) -> Any:
    segment = segments.create_segment(
        session, f"segment {tag}", CustomerFilter(tag=tag), owner_id=None, clock=clock
    )
    body = {
        "audience": {"kind": "segment", "segment_id": segment.id},
        "steps": email_steps(),
        "window": {"weekdays": list(range(7)), "start": "09:00", "end": "17:00"},
        **definition,
    }
    return strategies.create(
        session, {"name": f"Strategy {tag}", "definition": body}, actor_id=None, clock=clock
    )
