"""A small, realistic demo data set; loading it twice changes nothing."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Calendar, Customer, Role, Team
from web import demo_china, demo_history
from workflows.customers import organisations, profiles, transactions
from workflows.platform import accounts
from workflows.platform.clock import Clock, ManualClock
from workflows.platform.passwords import generate_password
from workflows.tracking import calendars, conversations, requirements, sla_policies

TEAMS = {
    "Support — Europe": [
        ("amelie.laurent@example.com", "Amélie Laurent", Role.SUPERVISOR, "Europe/Paris"),
        ("jonas.becker@example.com", "Jonas Becker", Role.AGENT, "Europe/Berlin"),
        ("sofia.rossi@example.com", "Sofia Rossi", Role.AGENT, "Europe/Rome"),
    ],
    "Support — Americas": [
        ("maria.gonzalez@example.com", "María González", Role.SUPERVISOR, "America/Mexico_City"),
        ("david.kim@example.com", "David Kim", Role.AGENT, "America/New_York"),
    ],
    "Sales": [
        ("li.wei@example.com", "Li Wei", Role.SUPERVISOR, "Asia/Shanghai"),
        ("omar.haddad@example.com", "Omar Haddad", Role.AGENT, "Asia/Dubai"),
    ],
}


def load(session: Session, *, clock: Clock, history_days: int = demo_history.DAYS) -> int:
    """Create what is missing of the demo teams (the Chinese one too, web/demo_china.py), their
    people, customers and (unless `history_days` is 0) back-dated history; returns how many
    rows."""
    created = 0
    for team_name, people in TEAMS.items():
        team = session.scalar(select(Team).where(Team.name == team_name))
        if team is None:
            team = accounts.create_team(session, team_name, clock=clock)
            created += 1
        for email, name, role, zone in people:
            user = accounts.find_user_by_email(session, email)
            if user is None:
                # Demo people get unusable random passwords; an admin can reset one to try it.
                user = accounts.create_user(
                    session,
                    email=email,
                    name=name,
                    password=generate_password(),
                    role=role,
                    time_zone=zone,
                    clock=clock,
                )
                created += 1
            member_ids = {m.user_id for m in team.memberships}
            supervisor_ids = {m.user_id for m in team.memberships if m.is_supervisor}
            if user.id not in member_ids:
                if role is Role.SUPERVISOR:
                    supervisor_ids.add(user.id)
                accounts.set_team_members(session, team, member_ids | {user.id}, supervisor_ids)
    created += load_sla(session, clock=clock) + load_customers(session, clock=clock)
    created += demo_china.load(session, clock=clock)
    if not history_days:
        return created
    return created + demo_history.load_history(session, clock=clock, days=history_days)


OFFICE_HOURS = [
    {"weekday": day, "start": start, "end": end}
    for day in range(5)
    for start, end in (("09:00", "12:30"), ("13:30", "17:30"))
]
HOUR = 3600


def load_sla(session: Session, *, clock: Clock) -> int:
    """Two calendars and two SLA policies, unless a calendar with the first name exists."""
    if session.scalar(select(Calendar.id).where(Calendar.name == "Berlin office")):
        return 0
    office = calendars.create(
        session,
        {
            "name": "Berlin office",
            "time_zone": "Europe/Berlin",
            "periods": OFFICE_HOURS,
            "quiet_hours": [{"start": "20:00", "end": "07:00"}],
        },
        clock=clock,
    )
    year = clock.now().year
    calendars.import_country_holidays(session, office, country="DE", years=[year, year + 1])
    always = calendars.create(
        session,
        {
            "name": "Around the clock",
            "time_zone": "UTC",
            "periods": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
        },
        clock=clock,
    )
    escalate = [
        {"at": "breach", "recipients": ["assignee"], "actions": ["notify"]},
        {
            "at": "after_breach",
            "seconds": HOUR // 2,
            "recipients": ["team_supervisors"],
            "actions": ["notify", "raise_priority"],
        },
    ]
    sla_policies.create(
        session,
        {
            "name": "Urgent, around the clock",
            "match": {"priorities": ["urgent"]},
            "calendar_id": always.id,
            "targets": {
                "default": {
                    "first_response": HOUR // 2,
                    "next_response": HOUR,
                    "resolution": 4 * HOUR,
                }
            },
            "warning_percent": 80,
            "ladder": escalate,
        },
        actor=None,
        clock=clock,
    )
    sla_policies.create(
        session,
        {
            "name": "Standard, office hours",
            "calendar_id": office.id,
            "targets": {
                "default": {
                    "first_response": 4 * HOUR,
                    "next_response": 8 * HOUR,
                    "resolution": 24 * HOUR,
                },
                "high": {
                    "first_response": 2 * HOUR,
                    "next_response": 4 * HOUR,
                    "resolution": 16 * HOUR,
                },
            },
            "warning_percent": 80,
            "ladder": escalate,
            "follow_up_seconds": 8 * HOUR,
        },
        actor=None,
        clock=clock,
    )
    return 4


ORGANISATIONS = [
    {
        "name": "Nordlicht Logistik GmbH",
        "website": "nordlicht.example.com",
        "phone": "+49 40 1234567",
    },
    {"name": "Casa Verde Imports", "website": "casaverde.example.com", "phone": "+1 212 555 0143"},
]

CUSTOMERS = [
    (
        "Hanna Vogel",
        "hanna.vogel@nordlicht.example.com",
        "+49 151 23456789",
        "DE",
        "Europe/Berlin",
        "de",
        0,
        "customer",
        "vip, logistics",
        "jonas.becker@example.com",
    ),
    (
        "Lukas Schmitt",
        "lukas.schmitt@nordlicht.example.com",
        "+49 170 9876543",
        "DE",
        "Europe/Berlin",
        "de",
        0,
        "customer",
        "logistics",
        "jonas.becker@example.com",
    ),
    (
        "Gabriela Ortiz",
        "gabriela@casaverde.example.com",
        "+1 212 555 0187",
        "US",
        "America/New_York",
        "es",
        1,
        "prospect",
        "import, spanish",
        "david.kim@example.com",
    ),
    (
        "Wei Zhang",
        "wei.zhang@example.com",
        "+86 138 0013 8000",
        "CN",
        "Asia/Shanghai",
        "zh",
        None,
        "lead",
        "trade-fair",
        "li.wei@example.com",
    ),
    (
        "Chiara Bianchi",
        "chiara.bianchi@example.com",
        "+39 347 123 4567",
        "IT",
        "Europe/Rome",
        "it",
        None,
        "churned",
        "win-back",
        "sofia.rossi@example.com",
    ),
]

COMMUNICATIONS = [
    (
        0,
        {
            "channel": "call",
            "direction": "inbound",
            "duration_minutes": 12,
            "subject": "Delivery delays in Hamburg",
            "body": "Hanna reports three pallets late this week; asked for a status by Friday.",
        },
    ),
    (
        0,
        {
            "channel": "email",
            "direction": "outbound",
            "subject": "Re: Delivery delays",
            "body": "Sent the carrier's tracking report and a revised ETA.",
        },
    ),
    (
        1,
        {
            "channel": "visit",
            "direction": "outbound",
            "duration_minutes": 60,
            "subject": "Quarterly review",
            "body": "Walked through volumes; interested in cold chain.",
        },
    ),
    (
        2,
        {
            "channel": "meeting",
            "direction": "outbound",
            "duration_minutes": 45,
            "subject": "Intro call",
            "body": "Gabriela imports olive oil; wants a quote for Q1.",
        },
    ),
    (
        3,
        {
            "channel": "note",
            "subject": "Met at the Canton fair",
            "body": "Interested in our Shanghai-Rotterdam lane. Follow up in two weeks.",
        },
    ),
    (
        4,
        {
            "channel": "sms",
            "direction": "outbound",
            "body": "We miss you, Chiara! 15% off your next order.",
        },
    ),
]

TRANSACTIONS = [
    (
        0,
        {
            "kind": "invoice",
            "amount": "12500.00",
            "currency": "EUR",
            "occurred_on": "2026-09-30",
            "reference": "INV-2026-0931",
            "status": "completed",
        },
    ),
    (
        0,
        {
            "kind": "payment",
            "amount": "12500.00",
            "currency": "EUR",
            "occurred_on": "2026-10-14",
            "reference": "PAY-77812",
            "status": "completed",
        },
    ),
    (
        1,
        {
            "kind": "order",
            "amount": "3400.50",
            "currency": "EUR",
            "occurred_on": "2026-11-02",
            "reference": "SO-5531",
            "status": "open",
        },
    ),
    (
        4,
        {
            "kind": "payment",
            "amount": "980.00",
            "currency": "EUR",
            "occurred_on": "2025-12-01",
            "reference": "PAY-61002",
            "status": "completed",
        },
    ),
    (
        4,
        {
            "kind": "refund",
            "amount": "120.00",
            "currency": "EUR",
            "occurred_on": "2026-01-10",
            "reference": "RF-0091",
            "status": "completed",
        },
    ),
]


def load_customers(session: Session, *, clock: Clock) -> int:
    """Demo organisations, customers, their conversations, transactions and requirements;
    skipped when the first demo customer exists already."""
    first_email = CUSTOMERS[0][1]
    if session.scalar(select(Customer.id).where(Customer.primary_email == first_email)):
        return 0
    orgs = [
        organisations.create_organisation(session, dict(data), actor_id=None, clock=clock)
        for data in ORGANISATIONS
    ]
    people = []
    for name, email, phone, country, zone, language, org, stage, tags, owner in CUSTOMERS:
        owner_user = accounts.find_user_by_email(session, owner)
        people.append(
            profiles.create_customer(
                session,
                {
                    "name": name,
                    "emails": email,
                    "phones": phone,
                    "country": country,
                    "time_zone": zone,
                    "language": language,
                    "stage": stage,
                    "tags": tags,
                    "organisation_id": orgs[org].id if org is not None else None,
                    "owner_id": owner_user.id if owner_user else None,
                },
                actor_id=owner_user.id if owner_user else None,
                clock=clock,
            )
        )
    for index, data in COMMUNICATIONS:
        conversations.log_communication(
            session, people[index], dict(data), actor_id=people[index].owner_id, clock=clock
        )
    for index, data in TRANSACTIONS:
        transactions.record_transaction(
            session, people[index], dict(data), actor_id=people[index].owner_id, clock=clock
        )
    jonas = accounts.find_user_by_email(session, "jonas.becker@example.com")
    support = session.scalar(select(Team).where(Team.name == "Support — Europe"))
    late = requirements.open_requirement(
        session,
        customer_id=people[0].id,
        title="Three pallets late in Hamburg",
        clock=clock,
        actor=jonas,
        priority="high",
        assignee_id=jonas.id if jonas else None,
        team_id=support.id if support else None,
        origin_channel="call",
    )
    if jonas is not None:
        requirements.fire(session, late, "assign", actor=jonas, clock=clock)
        requirements.fire(
            session,
            late,
            "ask_customer",
            actor=jonas,
            clock=clock,
            note="Asked for the delivery note numbers.",
        )
    li = accounts.find_user_by_email(session, "li.wei@example.com")
    requirements.open_requirement(
        session,
        customer_id=people[3].id,
        title="Shanghai-Rotterdam lane",
        clock=clock,
        actor=li,
        workflow="sales",
        assignee_id=li.id if li else None,
        amount="48000.00",
        currency="USD",
        expected_close_on=(clock.now() + timedelta(days=75)).date(),
    )
    # Opened 25 minutes ago under the 30-minute urgent target: at risk at once, breached soon,
    # so the supervisor's escalation queue has something to show.
    started = ManualClock(clock.now() - timedelta(minutes=25))
    requirements.open_requirement(
        session,
        customer_id=people[1].id,
        title="Checkout rejects every card",
        clock=started,
        actor=jonas,
        priority="urgent",
        team_id=support.id if support else None,
        origin_channel="email",
    )
    return len(orgs) + len(people) + len(COMMUNICATIONS) + len(TRANSACTIONS) + 3
