"""A demo outreach strategy that has run for three weeks, so the strategy page has an effect to
show: newsletter readers with email consent, a 20 % holdout, two steps, the first in variants
A and B. The planner, the due steps and the stop checks are the product's own, run on a
`ManualClock` from event to event; only the readers' replies are drawn at random (seeded): B's
subject draws more of them than A's, and a few held-out readers write in on their own."""

import heapq
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Customer, EnrolmentEvent, Strategy
from web.outreach.settings import execution_settings
from workflows.customers import communications, profiles, segments
from workflows.customers.queries import CustomerFilter
from workflows.outreach import activation, due_steps, planning, stops, strategies
from workflows.platform.clock import ManualClock

NAME = "Spring check-in (demo)"
SEED = 13
TAG = "newsletter"
READERS = 160
DAYS = 21
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Singapore")
# The chance that a reader replies: after variant A or B of step 1, or held out (never sent).
REPLY_CHANCE = {"A": 0.12, "B": 0.3, "holdout": 0.05}
STEP = {"channel": "email", "delay": {"amount": 3, "unit": "calendar_days"}}
DEFINITION = {
    "goal": {"kpi": "reply_rate", "days": 30},
    "holdout_percent": 20,
    "window": {"weekdays": list(range(7)), "start": "09:00", "end": "17:00"},
    "steps": [
        {
            **STEP,
            "delay": {"amount": 0, "unit": "calendar_days"},
            "subject": "Our spring catalogue",
            "body": "Hello {{ customer.first_name }}, our spring catalogue is out. "
            "{{ unsubscribe_url }}",
            "variants": [
                {
                    "key": "A",
                    "weight": 50,
                    "subject": "Our spring catalogue",
                    "body": "Hello {{ customer.first_name }}, our spring catalogue is out. "
                    "{{ unsubscribe_url }}",
                },
                {
                    "key": "B",
                    "weight": 50,
                    "subject": "{{ customer.first_name }}, may we help you choose?",
                    "body": "Hello {{ customer.first_name }}, reply and tell us what you "
                    "need; we will pick three items for you. {{ unsubscribe_url }}",
                },
            ],
        },
        {
            **STEP,
            "subject": "Still looking?",
            "body": "Hello {{ customer.first_name }}, just checking in. {{ unsubscribe_url }}",
        },
    ],
}


def load_strategy(session: Session, now: datetime) -> int:
    """Create and run the demo strategy up to `now` unless it exists; returns its enrolments.
    Its emails stay in the outbox, to be suppressed with the rest of the back-dated history."""
    if session.scalar(select(Strategy.id).where(Strategy.name == NAME)):
        return 0
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    start = now - timedelta(days=DAYS)
    setup = ManualClock(start - timedelta(hours=1))
    for n in range(READERS):
        reader = profiles.create_customer(
            session,
            {
                "name": f"Reader {n + 1}",
                "emails": f"reader{n + 1}@example.net",
                "time_zone": ZONES[n % len(ZONES)],
                "tags": TAG,
            },
            actor_id=None,
            clock=setup,
        )
        profiles.set_consent(
            session, reader, "email", granted=True, method="demo", actor_id=None, clock=setup
        )
    segment = segments.create_segment(
        session, "Newsletter readers (demo)", CustomerFilter(tag=TAG), owner_id=None, clock=setup
    )
    definition = {**DEFINITION, "audience": {"kind": "segment", "segment_id": segment.id}}
    strategy = strategies.create(
        session, {"name": NAME, "definition": definition}, actor_id=None, clock=setup
    )
    clock = ManualClock(start)
    strategies.transition(session, strategy, "activate", clock=clock)
    ids = activation.audience_ids(session, strategy, clock=clock)
    activation.begin(session, strategy, len(ids))
    counts = planning.enrol(session, strategy, ids, clock=clock, rng=rng)
    activation.finish(session, strategy)
    _run(session, rng, strategy, start, now)
    return counts["enrolled"] + counts["holdout"]


def _run(
    session: Session, rng: random.Random, strategy: Strategy, start: datetime, now: datetime
) -> None:
    """From event to event: the next due step or the next reply, whichever comes first."""
    replies: list[tuple[datetime, int]] = []
    held = session.scalars(
        select(EnrolmentEvent.customer_id).where(
            EnrolmentEvent.strategy_id == strategy.id, EnrolmentEvent.kind == "holdout"
        )
    ).all()
    for customer_id in held:
        if rng.random() < REPLY_CHANCE["holdout"]:
            when = start + timedelta(hours=rng.uniform(2, DAYS * 24))
            heapq.heappush(replies, (when, customer_id))
    settings = execution_settings()
    seen = 0
    while True:
        due = due_steps.next_due_at(session)
        at = min(t for t in (due, replies[0][0] if replies else None, now) if t is not None)
        if at >= now:
            break
        while replies and replies[0][0] <= at:
            when, customer_id = heapq.heappop(replies)
            _reply(session, customer_id, ManualClock(when))
        moment = ManualClock(at)
        stops.sweep_replies(session, clock=moment)
        due_steps.fire_batch(
            session, due_steps.claim_due(session, clock=moment), clock=moment, settings=settings
        )
        for event_id, customer_id, variant, sent_at in session.execute(
            select(
                EnrolmentEvent.id,
                EnrolmentEvent.customer_id,
                EnrolmentEvent.variant,
                EnrolmentEvent.at,
            ).where(
                EnrolmentEvent.strategy_id == strategy.id,
                EnrolmentEvent.kind == "sent",
                EnrolmentEvent.step_index == 0,
                EnrolmentEvent.id > seen,
            )
        ):
            seen = max(seen, event_id)
            if rng.random() < REPLY_CHANCE.get(variant or "A", 0):
                when = sent_at + timedelta(hours=rng.uniform(1, 60))
                heapq.heappush(replies, (when, customer_id))
    stops.sweep_replies(session, clock=ManualClock(now))


def _reply(session: Session, customer_id: int, clock: ManualClock) -> None:
    customer = session.get(Customer, customer_id)
    communications.log_communication(
        session,
        customer,
        {"channel": "email", "direction": "inbound", "body": "Thanks, tell me more."},
        actor_id=None,
        clock=clock,
    )
