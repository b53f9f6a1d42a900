"""Several weeks of demo history, so the reports have something to show: requirements opened,
answered, resolved, reopened and breached day by day, sales opportunities moving through
their stages (with amounts and expected close dates over the coming months: the pipeline
value), half a year of orders and payments in two currencies, and an outreach strategy
with a holdout and two variants that has run for three weeks (`web.demo_outreach`).

Everything goes through the real workflows with a `ManualClock` set to each moment, in time
order, with the timers that fall due in between fired as the clock process would: the SLA
clocks, breaches, escalations and stored durations are the product's own. The notices those
back-dated timers write are suppressed (they would arrive weeks late)."""

import contextlib
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Customer, OutboxMessage, Team, User
from web import demo_outreach
from workflows.customers import organisations, profiles, transactions
from workflows.platform import accounts, outbox, publishing
from workflows.platform.clock import Clock, ManualClock
from workflows.platform.errors import DomainError
from workflows.tracking import conversations, requirements, timers

DAYS = 42
MONEY_DAYS = 180
SEED = 14
ORGANISATIONS = ["Hafenkontor AG", "Lumen Retail Ltd", "Pinecrest Foods Inc"]
CUSTOMERS = [
    ("Ines Kramer", "ines.kramer@hafenkontor.example.com", 0, "EUR"),
    ("Paul Meyer", "paul.meyer@hafenkontor.example.com", 0, "EUR"),
    ("Olivia Hart", "olivia.hart@lumen.example.com", 1, "EUR"),
    ("Tom Reid", "tom.reid@lumen.example.com", 1, "EUR"),
    ("Grace Chen", "grace.chen@pinecrest.example.com", 2, "USD"),
    ("Sam Ortega", "sam.ortega@pinecrest.example.com", 2, "USD"),
    ("Nina Berg", "nina.berg@example.com", None, "EUR"),
    ("Marco Ricci", "marco.ricci@example.com", None, "EUR"),
    ("Ava Brooks", "ava.brooks@example.com", None, "USD"),
    ("Leo Dubois", "leo.dubois@example.com", None, "EUR"),
    ("Maya Patel", "maya.patel@example.com", None, "USD"),
    ("Jan Novak", "jan.novak@example.com", None, "EUR"),
]
# A few categories bring most of the work, as they do in real queues (the Pareto chart).
CATEGORIES = [
    ("billing", 40),
    ("delivery", 25),
    ("login", 12),
    ("returns", 10),
    ("product question", 8),
    ("invoice copy", 5),
]
# A few customers bring most of the revenue.
CUSTOMER_WEIGHTS = [30, 18, 12, 9, 8, 6, 5, 4, 3, 2, 2, 1]
AGENTS = ["jonas.becker@example.com", "sofia.rossi@example.com", "david.kim@example.com"]


Action = tuple[datetime, int, Callable[[Clock], None]]


def load_history(session: Session, *, clock: Clock, days: int = DAYS) -> int:
    """Create the history unless its first customer exists; returns how many requirements and
    transactions it made."""
    if session.scalar(select(Customer.id).where(Customer.primary_email == CUSTOMERS[0][1])):
        return 0
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    now = clock.now()
    first_outbox_id = session.scalar(select(func.max(OutboxMessage.id))) or 0
    earlier = publishing.take_pending(session)  # what the rest of the demo still publishes
    start = now - timedelta(days=max(days, MONEY_DAYS))
    setup = ManualClock(start)
    orgs = [
        organisations.create_organisation(session, {"name": name}, actor_id=None, clock=setup)
        for name in ORGANISATIONS
    ]
    people = [
        profiles.create_customer(
            session,
            {
                "name": name,
                "emails": email,
                "organisation_id": orgs[org].id if org is not None else None,
                "tags": "history",
            },
            actor_id=None,
            clock=setup,
        )
        for name, email, org, _ in CUSTOMERS
    ]
    agents = [u for u in (accounts.find_user_by_email(session, e) for e in AGENTS) if u]
    team = session.scalar(select(Team).where(Team.name == "Support — Europe"))
    seller = accounts.find_user_by_email(session, "omar.haddad@example.com")
    actions: list[Action] = []
    made = _money(session, rng, people, now)
    for day in range(days, 0, -1):
        for _ in range(rng.randint(3, 8)):
            actions += _support_case(session, rng, now, day, people, agents, team)
        if seller is not None and rng.random() < 0.5:
            actions += _opportunity(session, rng, now, day, people, seller)
    actions.sort(key=lambda action: (action[0], action[1]))
    for at, _, act in actions:
        if at > now:
            continue
        moment = ManualClock(at)
        _run_timers(session, moment)
        # A step the earlier ones made impossible (e.g. auto-resolved meanwhile) is skipped.
        with contextlib.suppress(DomainError):
            act(moment)
    _run_timers(session, ManualClock(now))
    made += demo_outreach.load_strategy(session, now)
    outbox.suppress_pending_after(
        session, first_outbox_id, reason="demo history: back-dated notice, not sent"
    )
    publishing.take_pending(session)  # the suppressed notices' sends: nothing to do
    for task_name, args in earlier:
        publishing.publish_after_commit(session, task_name, *args)
    return made + sum(1 for _, order, _ in actions if order == 0)


def _run_timers(session: Session, clock: Clock) -> None:
    while ids := timers.claim_due(session, clock=clock):
        timers.fire_batch(session, ids, clock=clock)


def _weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _support_case(
    session: Session,
    rng: random.Random,
    now: datetime,
    day: int,
    people: list[Customer],
    agents: list[User],
    team: Team | None,
) -> list[Action]:
    """One requirement's life as timed steps (order 0 opens it)."""
    # Mostly office hours (Berlin), some in the evening: those breach "outside opening hours".
    hour = rng.choice([6, 8, 9, 10, 11, 13, 14, 15, 16, 19, 21])
    opened = (now - timedelta(days=day)).replace(hour=hour, minute=rng.randint(0, 59))
    customer = _weighted(rng, list(zip(people, CUSTOMER_WEIGHTS, strict=True)))
    agent = rng.choice(agents) if agents else None
    priority = _weighted(rng, [("normal", 70), ("high", 22), ("urgent", 8)])
    category = _weighted(rng, CATEGORIES)
    state: dict[str, Any] = {}
    minutes = rng.choice([5, 20, 45, 90, 180, 300, 600])  # until someone picks it up

    def open_it(clock: Clock) -> None:
        state["r"] = requirements.open_requirement(
            session,
            customer_id=customer.id,
            title=f"{category.capitalize()}: {customer.name}",
            clock=clock,
            actor=agent,
            priority=priority,
            category=category,
            team_id=team.id if team else None,
            origin_channel=rng.choice(["email", "call", "email", "web"]),
        )

    def assign(clock: Clock) -> None:
        state["r"].assignee_id = agent.id
        requirements.fire(session, state["r"], "assign", actor=agent, clock=clock)

    def answer(clock: Clock) -> None:
        conversations.log_communication(
            session,
            customer,
            {
                "channel": "email",
                "direction": "outbound",
                "subject": "We are on it",
                "body": "Thanks for writing; we are looking into it.",
                "requirement_id": state["r"].id,
            },
            actor_id=agent.id,
            clock=clock,
        )

    def fire(trigger: str) -> Callable[[Clock], None]:
        def step(clock: Clock) -> None:
            requirements.fire(
                session, state["r"], trigger, actor=agent, clock=clock, note="Sorted out."
            )

        return step

    steps: list[tuple[timedelta, Callable[[Clock], None]]] = [(timedelta(0), open_it)]
    if agent is None:
        return [(opened, 0, open_it)]
    at = timedelta(minutes=minutes)
    steps += [(at, assign), (at + timedelta(minutes=rng.randint(1, 30)), answer)]
    at += timedelta(minutes=rng.randint(30, 90))
    if rng.random() < 0.3:
        steps.append((at, fire("ask_customer")))
        at += timedelta(hours=rng.choice([2, 6, 20, 30]))
        steps.append((at, fire("customer_replied")))
    at += timedelta(hours=rng.choice([1, 2, 4, 8, 24, 48, 72]))
    if rng.random() < 0.9:
        steps.append((at, fire("resolve")))
        if rng.random() < 0.12:
            at += timedelta(hours=rng.choice([5, 20, 40]))
            steps.append((at, fire("reopen")))
            steps.append((at + timedelta(hours=rng.choice([1, 3, 9])), fire("resolve")))
    return [(opened + offset, order, act) for order, (offset, act) in enumerate(steps)]


def _opportunity(
    session: Session,
    rng: random.Random,
    now: datetime,
    day: int,
    people: list[Customer],
    seller: User,
) -> list[Action]:
    opened = (now - timedelta(days=day)).replace(hour=rng.randint(8, 17))
    customer = rng.choice(people)
    state: dict[str, Any] = {}
    # The deal's value and expected close, in the customer's currency (mostly EUR, some USD),
    # from a generator of its own so the rest of the demo draws the same numbers as before.
    deal = random.Random(f"deal-{SEED}-{day}-{customer.id}")  # noqa: S311 (demo data)
    money: dict[str, Any] = {
        "amount": f"{deal.randint(5, 120) * 250}.00" if deal.random() > 0.1 else None,
        "currency": CUSTOMERS[people.index(customer)][3],
        "expected_close_on": (opened + timedelta(days=deal.randint(14, 150))).date()
        if deal.random() > 0.08
        else None,
    }

    def open_it(clock: Clock) -> None:
        state["r"] = requirements.open_requirement(
            session,
            customer_id=customer.id,
            title=f"Expansion: {customer.name}",
            clock=clock,
            actor=seller,
            workflow="sales",
            assignee_id=seller.id,
            **money,
        )

    def fire(trigger: str) -> Callable[[Clock], None]:
        def step(clock: Clock) -> None:
            requirements.fire(session, state["r"], trigger, actor=seller, clock=clock)

        return step

    steps: list[tuple[timedelta, Callable[[Clock], None]]] = [(timedelta(0), open_it)]
    at = timedelta(0)
    for trigger, chance in (("qualify", 0.7), ("propose", 0.6), ("negotiate", 0.6)):
        at += timedelta(days=rng.randint(1, 5))
        if rng.random() > chance:
            steps.append((at, fire("lose")))
            break
        steps.append((at, fire(trigger)))
    else:
        steps.append((at + timedelta(days=rng.randint(1, 4)), fire(rng.choice(["win", "lose"]))))
    return [
        (opened + offset, 10 + order if order else 0, act)
        for order, (offset, act) in enumerate(steps)
    ]


def _money(session: Session, rng: random.Random, people: list[Customer], now: datetime) -> int:
    """Orders paid over half a year, each customer in its own currency; a few refunds."""
    count = 0
    for customer, weight, (_, _, _, currency) in zip(
        people, CUSTOMER_WEIGHTS, CUSTOMERS, strict=True
    ):
        for _ in range(max(1, weight // 2)):
            day = (now - timedelta(days=rng.randint(1, MONEY_DAYS))).date()
            amount = f"{rng.randint(40, 400) * weight / 4:.2f}"
            clock = ManualClock(now)
            for kind, offset in (("order", 0), ("payment", rng.randint(0, 20))):
                paid_on = min(day + timedelta(days=offset), now.date())
                transactions.record_transaction(
                    session,
                    customer,
                    {"kind": kind, "amount": amount, "currency": currency, "occurred_on": paid_on},
                    actor_id=None,
                    clock=clock,
                )
                count += 1
            if rng.random() < 0.08:
                transactions.record_transaction(
                    session,
                    customer,
                    {
                        "kind": "refund",
                        "amount": f"{float(amount) / 2:.2f}",
                        "currency": currency,
                        "occurred_on": min(day + timedelta(days=25), now.date()),
                    },
                    actor_id=None,
                    clock=clock,
                )
                count += 1
    return count
