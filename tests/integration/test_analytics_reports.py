"""Every report figure on a small hand-built data set equals the value worked out by hand in
the comments: business-time durations, compliance, breaches and their causes, reopen rate, days
in two viewer zones across the 2099-03-29 DST change in Europe/Berlin, sales stages, revenue in
two currencies, lifetime values, dormant customers and Pareto bars."""

import importlib.util
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from models import Requirement, Role, SlaClock, Team, User
from web.extensions import db
from workflows.analytics import pareto, sales, support
from workflows.analytics.filters import RequirementFilter, parse_filter
from workflows.analytics.ranges import DayRange, parse_range
from workflows.customers import organisations, profiles, transactions
from workflows.platform.clock import ManualClock
from workflows.platform.errors import ValidationFailed
from workflows.tracking import calendars, requirements, sla_policies, timers

ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
MARCH = DayRange(date(2099, 3, 25), date(2099, 3, 31), "UTC")
BERLIN = DayRange(date(2099, 3, 25), date(2099, 3, 31), "Europe/Berlin")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2099, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(in_app: Flask, make_user: Any) -> dict[str, Any]:
    """The support timeline (UTC; 24/7 calendar; targets: first response 600 s, resolution
    3600 s; one ladder rung at the breach):

    R1 billing  25th 09:00 assigned, resolved +300 s; reopened 27th 09:00, resolved +100 s
    R2 billing  25th 10:00 unassigned until +900 s (first response breaches at +600), resolved
                +1200 s
    R3 shipping 26th 09:00 assigned, asks the customer at +60 s (first response breaches at
                +600 while waiting), customer replies +1500 s, resolved +1800 s (resolution
                paused 1440 s: 60 + 300 = 360 s counted)
    R5 other    28th 23:30 (29th 00:30 in Berlin, before the DST change), cancelled +60 s
    R4 billing  29th 22:30 (30th 00:30 in Berlin, after it), assigned, in progress
    """
    clock = ManualClock(_at(25, 9))
    agent = db.session.get(User, make_user(Role.AGENT, email="agent@example.com").id)
    customer = profiles.create_customer(
        db.session, {"name": "Ana", "emails": "ana@example.com"}, actor_id=None, clock=clock
    )
    calendar = calendars.create(
        db.session, {"name": "24/7", "time_zone": "UTC", "periods": ALWAYS}, clock=clock
    )
    policy = sla_policies.create(
        db.session,
        {
            "name": "Fast",
            "calendar_id": calendar.id,
            "targets": {"default": {"first_response": 600, "resolution": 3600}},
            "warning_percent": 100,
            "ladder": [{"at": "breach", "recipients": ["assignee"]}],
        },
        actor=None,
        clock=clock,
    )

    def new(title: str, category: str, *, assigned: bool = True) -> Requirement:
        return requirements.open_requirement(
            db.session,
            customer_id=customer.id,
            title=title,
            clock=clock,
            actor=agent,
            category=category,
            assignee_id=agent.id if assigned else None,
        )

    def fire(req: Requirement, trigger: str) -> None:
        requirements.fire(db.session, req, trigger, actor=agent, clock=clock, note="done")

    def run_timers() -> None:
        timers.fire_batch(db.session, timers.claim_due(db.session, clock=clock), clock=clock)

    r1 = new("R1", "billing")
    fire(r1, "assign")
    clock.advance(timedelta(seconds=300))
    fire(r1, "resolve")
    _jump(clock, _at(25, 10))
    r2 = new("R2", "billing", assigned=False)
    clock.advance(timedelta(seconds=900))
    run_timers()
    r2.assignee_id = agent.id
    fire(r2, "assign")
    clock.advance(timedelta(seconds=300))
    fire(r2, "resolve")
    _jump(clock, _at(26, 9))
    r3 = new("R3", "shipping")
    fire(r3, "assign")
    clock.advance(timedelta(seconds=60))
    fire(r3, "ask_customer")
    clock.advance(timedelta(seconds=1440))
    run_timers()
    fire(r3, "customer_replied")
    clock.advance(timedelta(seconds=300))
    fire(r3, "resolve")
    _jump(clock, _at(27, 9))
    fire(r1, "reopen")
    clock.advance(timedelta(seconds=100))
    fire(r1, "resolve")
    _jump(clock, _at(28, 23, 30))
    r5 = new("R5", "other", assigned=False)
    clock.advance(timedelta(seconds=60))
    fire(r5, "cancel")
    _jump(clock, _at(29, 22, 30))
    r4 = new("R4", "billing")
    fire(r4, "assign")
    fire(r4, "start")
    clock.advance(timedelta(seconds=60))
    db.session.commit()
    return {"agent": agent, "policy": policy, "r": [r1, r2, r3, r4, r5], "clock": clock}


def _jump(clock: ManualClock, to: datetime) -> None:
    clock.advance(to - clock.now())


def test_clocks_store_business_time_and_breach_cause(world: dict[str, Any]):
    r1, r2, r3, _, r5 = world["r"]
    stored = {
        (row.requirement_id, str(row.metric), row.cycle): (row.elapsed_seconds, row.breach_cause)
        for row in db.session.scalars(select(SlaClock))
    }
    assert stored[(r1.id, "first_response", 1)] == (300, None)
    assert stored[(r1.id, "resolution", 2)] == (100, None)
    assert stored[(r2.id, "first_response", 1)] == (1200, "waited_unassigned")
    assert stored[(r3.id, "first_response", 1)] == (1800, "waiting_on_customer")
    assert stored[(r3.id, "resolution", 1)] == (360, None)  # paused while waiting
    assert stored[(r5.id, "first_response", 1)] == (60, None)  # cancelled clocks store it too


def test_support_report_figures(world: dict[str, Any]):
    report = support.support_report(db.session, MARCH, RequirementFilter())
    assert report["requirements"] == 5
    durations = {row[0]: row[1:] for row in report["durations"]["rows"]}
    # first response met: 300, 1200, 1800 -> median 1200; p90 at rank 1.8: 1200 + 0.8 * 600
    assert durations["first_response"] == [3, 1200, pytest.approx(1680)]
    # resolution met: 100, 300, 360, 1200 -> median 330; p90 at rank 2.7: 360 + 0.7 * 840
    assert durations["resolution"] == [4, pytest.approx(330), pytest.approx(948)]
    assert durations["next_response"] == [0, None, None]
    compliance = {row[0]: row[1:] for row in report["compliance"]["rows"]}
    assert compliance["first_response"] == [1, 2, 1, pytest.approx(0.3333)]
    assert compliance["resolution"] == [4, 0, 1, 1.0]
    assert report["breaches_by_rung"]["rows"] == [[1, 2]]
    assert report["reopen"] == {"resolved": 3, "reopened": 1, "rate": pytest.approx(0.3333)}
    assert report["flow"]["rows"] == [
        ["2099-03-25", 2, 2],
        ["2099-03-26", 1, 1],
        ["2099-03-27", 0, 1],
        ["2099-03-28", 1, 0],
        ["2099-03-29", 1, 0],
        ["2099-03-30", 0, 0],
        ["2099-03-31", 0, 0],
    ]
    backlog = report["backlog"]
    in_progress = backlog["columns"].index("in_progress")
    assert [row[in_progress] for row in backlog["rows"]] == [0, 0, 0, 0, 1, 1, 1]
    assert all(sum(row[1:]) == row[in_progress] for row in backlog["rows"])
    agents = {row[1]: row[2:] for row in report["agents"]["rows"]}
    # agent: R1-R4, 3 resolved; clocks met in time 5 (R1 fr, R1 res x2, R2 res, R3 res), 2 late;
    # mean first response of met clocks (300 + 1200 + 1800) / 3
    assert agents[world["agent"].name] == [4, 3, 5, 2, pytest.approx(0.7143), 1100.0]
    assert agents["(none)"] == [1, 0, 0, 0, None, None]


def test_days_follow_the_viewer_zone_across_dst(world: dict[str, Any]):
    report = support.support_report(db.session, BERLIN, RequirementFilter())
    created = [row[1] for row in report["flow"]["rows"]]
    # R5 at 28th 23:30 UTC is the 29th 00:30 CET; R4 at 29th 22:30 UTC is the 30th 00:30 CEST
    assert created == [2, 1, 0, 0, 1, 1, 0]
    in_progress = report["backlog"]["columns"].index("in_progress")
    assert [row[in_progress] for row in report["backlog"]["rows"]] == [0, 0, 0, 0, 0, 1, 1]
    assert BERLIN.end - BERLIN.start == timedelta(days=7, hours=-1)  # one 23-hour day


def test_filters_and_empty_and_single_day_ranges(world: dict[str, Any]):
    shipping = support.support_report(db.session, MARCH, RequirementFilter(category="shipping"))
    assert shipping["requirements"] == 1
    assert shipping["durations"]["rows"][0][1:] == [1, 1800, 1800]  # one value: both are it
    empty = support.support_report(
        db.session, DayRange(date(2099, 1, 1), date(2099, 1, 3), "UTC"), RequirementFilter()
    )
    assert empty["requirements"] == 0
    assert empty["durations"]["rows"][0][1:] == [0, None, None]
    assert empty["reopen"]["rate"] is None
    assert [row[1:] for row in empty["flow"]["rows"]] == [[0, 0]] * 3
    one_day = support.support_report(
        db.session, DayRange(date(2099, 3, 26), date(2099, 3, 26), "UTC"), RequirementFilter()
    )
    assert one_day["flow"]["rows"] == [["2099-03-26", 1, 1]]
    policy = RequirementFilter(sla_policy_id=world["policy"].id)
    assert support.support_report(db.session, MARCH, policy)["requirements"] == 5
    assert (
        support.support_report(db.session, MARCH, RequirementFilter(sla_policy_id=999))[
            "requirements"
        ]
        == 0
    )


def test_pareto_of_categories_and_breach_causes(world: dict[str, Any]):
    by_category = pareto.pareto_report(
        db.session, "requirements_by_category", MARCH, RequirementFilter()
    )
    # billing 3, other 1, shipping 1 of 5: cumulative 60 %, 80 %, 100 %
    assert by_category["bars"]["rows"] == [
        ["billing", "billing", 3, 0.6, 0.6],
        ["other", "other", 1, 0.2, 0.8],
        ["shipping", "shipping", 1, 0.2, 1.0],
    ]
    assert by_category["vital_few"] == ["billing", "other"]
    by_customer = pareto.pareto_report(
        db.session, "requirements_by_customer", MARCH, RequirementFilter()
    )
    assert [row[1:] for row in by_customer["bars"]["rows"]] == [["Ana", 5, 1.0, 1.0]]
    by_organisation = pareto.pareto_report(
        db.session, "requirements_by_organisation", MARCH, RequirementFilter()
    )
    assert [row[1:] for row in by_organisation["bars"]["rows"]] == [["(none)", 5, 1.0, 1.0]]
    causes = pareto.pareto_report(db.session, "breaches_by_cause", MARCH, RequirementFilter())
    assert [row[1:] for row in causes["bars"]["rows"]] == [
        ["waited unassigned", 1, 0.5, 0.5],
        ["time waiting on the customer", 1, 0.5, 1.0],
    ]
    assert causes["total"] == 2
    assert causes["vital_few"] == ["waited unassigned", "time waiting on the customer"]
    with pytest.raises(ValidationFailed) as refused:
        pareto.pareto_report(db.session, "nonsense", MARCH, RequirementFilter())
    assert "dimension" in refused.value.errors


@pytest.fixture
def money(in_app: Flask, make_user: Any) -> dict[str, Any]:
    """Transactions in two currencies (all completed):
    A (Org X): EUR payment 100.10 (Mar 5), refund 50.05 (Mar 20), payment 200.20 (Apr 2);
               USD invoice 1000 (Mar 15), payment 999.99 (Mar 16)
    B:         EUR order 300 (Mar 10)
    C:         EUR payments 0.10 and 0.20 (Mar 3): 0.30 exactly, not 0.30000000000000004
    Opportunities (created Mar 10 09:00): O1 lead 1 h, qualified 2 h, proposal 4 h, won;
    O2 lead 2 h, qualified 3 h, lost; O3 still a lead."""
    clock = ManualClock(datetime(2099, 3, 10, 9, tzinfo=UTC))
    seller = db.session.get(User, make_user(Role.AGENT, email="seller@example.com").id)
    org = organisations.create_organisation(
        db.session, {"name": "Org X"}, actor_id=None, clock=clock
    )
    people = {}
    for name, org_id in (("A", org.id), ("B", None), ("C", None)):
        people[name] = profiles.create_customer(
            db.session,
            {"name": name, "emails": f"{name.lower()}@example.com", "organisation_id": org_id},
            actor_id=None,
            clock=clock,
        )
    for name, kind, amount, currency, day in (
        ("A", "payment", "100.10", "EUR", "2099-03-05"),
        ("A", "refund", "50.05", "EUR", "2099-03-20"),
        ("A", "payment", "200.20", "EUR", "2099-04-02"),
        ("A", "invoice", "1000", "USD", "2099-03-15"),
        ("A", "payment", "999.99", "USD", "2099-03-16"),
        ("B", "order", "300", "EUR", "2099-03-10"),
        ("C", "payment", "0.10", "EUR", "2099-03-03"),
        ("C", "payment", "0.20", "EUR", "2099-03-03"),
    ):
        transactions.record_transaction(
            db.session,
            people[name],
            {"kind": kind, "amount": amount, "currency": currency, "occurred_on": day},
            actor_id=None,
            clock=clock,
        )
    start = clock.now()
    for title, steps in (
        ("O1", [("qualify", 1), ("propose", 3), ("win", 7)]),
        ("O2", [("qualify", 2), ("lose", 5)]),
        ("O3", []),
    ):
        opportunity = requirements.open_requirement(
            db.session,
            customer_id=people["A"].id,
            title=title,
            clock=ManualClock(start),
            actor=seller,
            workflow="sales",
            assignee_id=seller.id,
        )
        for trigger, hours in steps:
            at = ManualClock(start + timedelta(hours=hours))
            requirements.fire(db.session, opportunity, trigger, actor=seller, clock=at)
    db.session.commit()
    return {"people": people}


def test_sales_report_figures(money: dict[str, Any]):
    report = sales.sales_report(
        db.session,
        DayRange(date(2099, 3, 1), date(2099, 3, 31), "UTC"),
        RequirementFilter(),
        today=date(2099, 3, 31),
        dormant_days=20,
    )
    assert report["stages"]["rows"] == [
        ["lead", 3, 1, None],
        ["qualified", 2, 0, pytest.approx(0.6667)],
        ["proposal", 1, 0, 0.5],
        ["negotiation", 0, 0, 0.0],
        ["won", 1, 1, None],  # won from proposal: nobody entered negotiation
        ["lost", 1, 1, None],
    ]
    assert report["win_rate"] == {"won": 1, "lost": 1, "rate": 0.5}
    assert report["time_in_stage"]["rows"] == [
        ["lead", 2, 5400.0],
        ["qualified", 2, 9000.0],
        ["proposal", 1, 14400.0],
        ["negotiation", 0, None],
    ]
    # O3 (a lead) has no amount or close date: only counted apart; O1 won, O2 lost: not open
    assert report["pipeline_value"]["by_month"]["rows"] == []
    assert report["pipeline_value"]["unscheduled"]["rows"] == [
        ["no_amount", 0],
        ["no_close_date", 0],
        ["no_amount_no_close_date", 1],
    ]
    # March: EUR 100.10 - 50.05 + 0.10 + 0.20; USD 999.99 (the invoice is not cash)
    assert report["revenue"]["rows"] == [
        ["2099-03", "EUR", "50.35", 4],
        ["2099-03", "USD", "999.99", 1],
    ]
    # lifetime value: A EUR 300.30 - 50.05 = 250.25, A USD 999.99, B EUR 300.00, C EUR 0.30
    assert report["lifetime_value"]["buckets"]["rows"] == [
        ["EUR", "0 to 100", 1],
        ["EUR", "100 to 1,000", 2],
        ["USD", "100 to 1,000", 1],
    ]
    # EUR median of 0.30, 250.25, 300.00; p90 at rank 1.8: 250.25 + 0.8 * 49.75
    assert report["lifetime_value"]["summary"]["rows"] == [
        ["EUR", 3, "250.25", "290.05"],
        ["USD", 1, "999.99", "999.99"],
    ]
    people = money["people"]
    assert report["dormant"]["count"] == 2
    assert report["dormant"]["customers"]["rows"] == [
        [people["C"].id, "C", "2099-03-03", 28],
        [people["B"].id, "B", "2099-03-10", 21],
    ]


def test_revenue_pareto_stays_in_one_currency(money: dict[str, Any]):
    march = DayRange(date(2099, 3, 1), date(2099, 3, 31), "UTC")
    eur = pareto.pareto_report(
        db.session, "revenue_by_customer", march, RequirementFilter(), currency="EUR"
    )
    assert eur["total"] == "50.35"
    assert [row[1:3] for row in eur["bars"]["rows"]] == [["A", "50.05"], ["C", "0.30"]]
    assert eur["vital_few"] == ["A"]
    usd = pareto.pareto_report(
        db.session, "revenue_by_organisation", march, RequirementFilter(), currency="USD"
    )
    assert usd["total"] == "999.99"
    assert [row[1:4] for row in usd["bars"]["rows"]] == [["Org X", "999.99", 1.0]]


def test_bad_arguments_name_their_field():
    with pytest.raises(ValidationFailed) as bad:
        parse_range("2099-13-01", None, "Mars/Base", today=date(2099, 1, 1))
    assert set(bad.value.errors) == {"start", "time_zone"}
    with pytest.raises(ValidationFailed) as backwards:
        parse_range("2099-02-01", "2099-01-01", "UTC", today=date(2099, 1, 1))
    assert "end" in backwards.value.errors
    with pytest.raises(ValidationFailed) as bad_filter:
        parse_filter({"team_id": "x", "priority": "huge"})
    assert set(bad_filter.value.errors) == {"team_id", "priority"}
    default = parse_range(None, None, "UTC", today=date(2099, 1, 28))
    assert (default.first, default.last) == (date(2099, 1, 1), date(2099, 1, 28))


def test_migration_backfill_computes_what_the_clocks_stored(world: dict[str, Any]):
    """Clocks stopped and breached before the migration get the same figures by backfill."""
    versions = Path(__file__).parents[2] / "models" / "migrations" / "versions"
    path = next(versions.glob("*_b7e3a91c5d20_*.py"))
    spec = importlib.util.spec_from_file_location("analytics_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    stored = db.session.execute(
        select(SlaClock.id, SlaClock.elapsed_seconds, SlaClock.breach_cause).order_by(SlaClock.id)
    ).all()
    assert sum(1 for row in stored if row.breach_cause) == 2
    db.session.execute(update(SlaClock).values(elapsed_seconds=None, breach_cause=None))
    migration._backfill(db.session.connection())
    again = db.session.execute(
        select(SlaClock.id, SlaClock.elapsed_seconds, SlaClock.breach_cause).order_by(SlaClock.id)
    ).all()
    assert again == stored


@pytest.fixture
def pipeline(in_app: Flask, make_user: Any) -> dict[str, Any]:
    """Sales opportunities (today 2099-03-15, so 2099-03 is the current month); team N or none:

    P1  N  lead        EUR 1000.10  2099-04-10
    P2  N  qualified   EUR  500.05  2099-04-28
    P3  -  proposal    USD 2000     2099-04-05
    P4  N  lead        EUR  300     2099-05-01
    P5  N  lead        EUR   99.99  2099-02-20   overdue
    P6  -  lead        no amount    2099-04-01   counted apart (no amount)
    P7  N  lead        EUR   50     no date      counted apart (no close date)
    P8  -  lead        nothing                   counted apart (neither)
    P9  N  won         EUR 10000    2099-04-15   not open
    P10 N  lost        EUR 7000     2099-04-20   not open
    P11 N  lead        USD    1.50  2099-03-31   created 2098-06-01, long before any range
    """
    seller = db.session.get(User, make_user(Role.AGENT, email="pipe@example.com").id)
    team = Team(name="North", created_at=datetime(2098, 1, 1, tzinfo=UTC))
    db.session.add(team)
    db.session.flush()
    clock = ManualClock(datetime(2099, 3, 10, 9, tzinfo=UTC))
    customer = profiles.create_customer(
        db.session, {"name": "Buyer", "emails": "buyer@example.com"}, actor_id=None, clock=clock
    )
    for title, team_id, amount, currency, close, steps, created in (
        ("P1", team.id, "1000.10", "EUR", "2099-04-10", [], None),
        ("P2", team.id, "500.05", "EUR", "2099-04-28", ["qualify"], None),
        ("P3", None, "2000", "USD", "2099-04-05", ["qualify", "propose"], None),
        ("P4", team.id, "300", "EUR", "2099-05-01", [], None),
        ("P5", team.id, "99.99", "EUR", "2099-02-20", [], None),
        ("P6", None, None, None, "2099-04-01", [], None),
        ("P7", team.id, "50", "EUR", None, [], None),
        ("P8", None, None, None, None, [], None),
        ("P9", team.id, "10000", "EUR", "2099-04-15", ["qualify", "propose", "win"], None),
        ("P10", team.id, "7000", "EUR", "2099-04-20", ["lose"], None),
        ("P11", team.id, "1.50", "USD", "2099-03-31", [], datetime(2098, 6, 1, tzinfo=UTC)),
    ):
        at = ManualClock(created or clock.now())
        opportunity = requirements.open_requirement(
            db.session,
            customer_id=customer.id,
            title=title,
            clock=at,
            actor=seller,
            workflow="sales",
            assignee_id=seller.id,
            team_id=team_id,
            amount=amount,
            currency=currency,
            expected_close_on=close,
        )
        for trigger in steps:
            requirements.fire(db.session, opportunity, trigger, actor=seller, clock=at)
    db.session.commit()
    return {"team": team}


def test_pipeline_value_by_close_month_and_currency(pipeline: dict[str, Any]):
    # The range (March 2099) does not apply: P11, created in 2098, is in the pipeline.
    report = sales.sales_report(
        db.session,
        DayRange(date(2099, 3, 1), date(2099, 3, 31), "UTC"),
        RequirementFilter(),
        today=date(2099, 3, 15),
    )
    value = report["pipeline_value"]
    assert value["current_month"] == "2099-03"
    assert value["by_month"]["columns"] == [
        "month",
        "currency",
        "opportunities",
        "amount",
        "overdue",
    ]
    assert value["by_month"]["rows"] == [
        ["2099-02", "EUR", 1, "99.99", True],  # P5, overdue
        ["2099-03", "USD", 1, "1.50", False],  # P11
        ["2099-04", "EUR", 2, "1500.15", False],  # P1 1000.10 + P2 500.05 (P9, P10 closed)
        ["2099-04", "USD", 1, "2000.00", False],  # P3: never added to the euros
        ["2099-05", "EUR", 1, "300.00", False],  # P4
    ]
    assert value["by_stage"]["rows"] == [
        ["2099-02", "EUR", "lead", 1, "99.99"],
        ["2099-03", "USD", "lead", 1, "1.50"],
        ["2099-04", "EUR", "lead", 1, "1000.10"],
        ["2099-04", "EUR", "qualified", 1, "500.05"],
        ["2099-04", "USD", "proposal", 1, "2000.00"],
        ["2099-05", "EUR", "lead", 1, "300.00"],
    ]
    assert value["unscheduled"]["rows"] == [
        ["no_amount", 1],  # P6
        ["no_close_date", 1],  # P7
        ["no_amount_no_close_date", 1],  # P8
    ]
    assert value["overdue_opportunities"] == 1
    assert value["open_opportunities"] == 9  # P1-P8 and P11

    # Team N only: P3, P6 and P8 have no team.
    north = sales.sales_report(
        db.session,
        DayRange(date(2099, 3, 1), date(2099, 3, 31), "UTC"),
        RequirementFilter(team_id=pipeline["team"].id),
        today=date(2099, 3, 15),
    )["pipeline_value"]
    assert north["by_month"]["rows"] == [
        ["2099-02", "EUR", 1, "99.99", True],
        ["2099-03", "USD", 1, "1.50", False],
        ["2099-04", "EUR", 2, "1500.15", False],
        ["2099-05", "EUR", 1, "300.00", False],
    ]
    assert north["unscheduled"]["rows"] == [
        ["no_amount", 0],
        ["no_close_date", 1],
        ["no_amount_no_close_date", 0],
    ]
    assert north["open_opportunities"] == 6

    # A month later, April's opportunities are overdue too.
    later = sales.sales_report(
        db.session,
        DayRange(date(2099, 5, 1), date(2099, 5, 2), "UTC"),
        RequirementFilter(team_id=pipeline["team"].id),
        today=date(2099, 5, 2),
    )["pipeline_value"]
    assert [row[4] for row in later["by_month"]["rows"]] == [True, True, True, False]
    assert later["overdue_opportunities"] == 4
