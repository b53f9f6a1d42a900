"""A strategy's results on a hand-built data set: 10 held out, 20 contacted (step 1 sent as
variant A to 10 and as B to 10), goal "revenue". Every count, rate, interval and difference is
worked out by hand below (Wilson: p̂, z = 1.959964; Newcombe's hybrid score difference from
the two Wilson intervals)."""

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    Customer,
    EmailSuppression,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    OutboxMessage,
    OutboxStatus,
    Role,
    StrategyVersion,
    SuppressionReason,
    User,
    sync_delivery,
)
from tests.conftest import login
from tests.outreach_helpers import email_steps, make_customers, make_strategy
from web.clocks import current_clock
from web.extensions import db
from workflows.analytics import (
    pareto,
    stats,
    strategy_before_after,
    strategy_results,
    strategy_revenue,
)
from workflows.analytics.filters import RequirementFilter
from workflows.analytics.ranges import DayRange
from workflows.customers import communications, transactions
from workflows.platform import accounts
from workflows.platform.clock import ManualClock

Z = 1.959963984540054
START = datetime(2099, 2, 1, 9, 0, tzinfo=UTC)


def wilson(successes: int, trials: int) -> tuple[float, float, float]:
    """The textbook Wilson score interval, written out to check the library's."""
    p = successes / trials
    centre = (p + Z * Z / (2 * trials)) / (1 + Z * Z / trials)
    half = Z / (1 + Z * Z / trials) * math.sqrt(p * (1 - p) / trials + Z * Z / (4 * trials**2))
    return p, centre - half, centre + half


def newcombe(base: tuple[int, int], arm: tuple[int, int]) -> tuple[float, float, float]:
    """Newcombe (1998) method 10: arm minus baseline from the two Wilson intervals."""
    p1, l1, u1 = wilson(*arm)
    p2, l2, u2 = wilson(*base)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    return d, low, d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


@pytest.fixture
def strategy(in_app: Flask) -> Any:
    return hand_built()


def hand_built() -> Any:
    """Inside an application context, committed: customers 0-9 holdout (1 replied, 1 paid);
    10-19 got A (4 replied, 2 paid); 20-29 got B (7 replied, 5 paid). Customer 20 also paid
    and wrote *before* enrolling: neither counts, so B's figures above exclude it (it has a
    later reply and payment of its own)."""
    clock = ManualClock(START - timedelta(days=2))
    people = make_customers(db.session, clock, 30, tag="results")
    steps = email_steps(2)
    steps[0]["variants"] = [
        {"key": "A", "weight": 50, "subject": "A", "body": "Hello A {{ unsubscribe_url }}"},
        {"key": "B", "weight": 50, "subject": "B", "body": "Hello B {{ unsubscribe_url }}"},
    ]
    made = make_strategy(
        db.session,
        clock,
        tag="results",
        steps=steps,
        holdout_percent=30,
        goal={"kpi": "revenue", "days": 30},
    )
    _pay(people[20], clock)
    _write(people[20], clock)
    clock.advance(timedelta(days=2))  # START: everyone enrols
    replied = {0, *range(10, 14), *range(20, 27)}
    paid = {1, 10, 11, *range(20, 25)}
    for n, customer in enumerate(people):
        held = n < 10
        enrolment = Enrolment(
            strategy_id=made.id,
            version_id=made.current_version_id,
            customer_id=customer.id,
            status=EnrolmentStatus.HOLDOUT if held else EnrolmentStatus.ACTIVE,
            enrolled_at=clock.now(),
        )
        db.session.add(enrolment)
        db.session.flush()
        _event(enrolment, "holdout" if held else "enrolled", clock)
        if not held:
            _event(enrolment, "sent", clock, step_index=0, variant="A" if n < 20 else "B")
        if n in (10, 20):  # step 2 has no variants: it makes no arm of its own
            _event(enrolment, "sent", clock, step_index=1)
    clock.advance(timedelta(hours=3))
    for n in sorted(replied):
        _write(people[n], clock)
    for n in sorted(paid):
        _pay(people[n], clock)
    db.session.commit()
    return made


def _event(enrolment: Enrolment, kind: str, clock: ManualClock, **values: Any) -> None:
    db.session.add(
        EnrolmentEvent(
            enrolment_id=enrolment.id,
            strategy_id=enrolment.strategy_id,
            customer_id=enrolment.customer_id,
            at=clock.now(),
            kind=kind,
            **{"channel": "email" if kind == "sent" else None, **values},
        )
    )


def _write(customer: Any, clock: ManualClock) -> None:
    communications.log_communication(
        db.session,
        customer,
        {"channel": "email", "direction": "inbound", "body": "Interested"},
        actor_id=None,
        clock=clock,
    )


def _pay(customer: Any, clock: ManualClock, **overrides: str) -> None:
    transactions.record_transaction(
        db.session,
        customer,
        {
            "kind": "payment",
            "amount": "25",
            "currency": "EUR",
            "occurred_on": clock.now().date().isoformat(),
            **overrides,
        },
        actor_id=None,
        clock=clock,
    )


def _rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]


def test_arms_count_reach_replies_and_goal_with_wilson_intervals(strategy: Any):
    result = strategy_results.strategy_results(db.session, strategy, clock=ManualClock(START))
    arms = {row["arm"]: row for row in _rows(result["arms"])}
    assert list(arms) == ["contacted", "holdout", "step 1 · A", "step 1 · B"]
    expected = {  # enrolled, reached, replied, goal reached
        "contacted": (20, 20, 11, 7),
        "holdout": (10, 0, 1, 1),
        "step 1 · A": (10, 10, 4, 2),
        "step 1 · B": (10, 10, 7, 5),
    }
    for name, (enrolled, reached, replied, goal) in expected.items():
        row = arms[name]
        assert (row["enrolled"], row["reached"], row["replied"], row["goal_reached"]) == (
            enrolled,
            reached,
            replied,
            goal,
        )
        for metric, count in (("reply", replied), ("goal", goal)):
            rate, low, high = wilson(count, enrolled)
            assert row[f"{metric}_rate"] == pytest.approx(rate, abs=1e-4)
            assert row[f"{metric}_low"] == pytest.approx(low, abs=1e-4)
            assert row[f"{metric}_high"] == pytest.approx(high, abs=1e-4)
    # Two of them by hand: 7/10 -> 0.3968 to 0.8922; 1/10 -> 0.0179 to 0.4042.
    assert (arms["step 1 · B"]["reply_low"], arms["step 1 · B"]["reply_high"]) == (0.3968, 0.8922)
    assert (arms["holdout"]["goal_low"], arms["holdout"]["goal_high"]) == (0.0179, 0.4042)
    assert arms["step 1 · A"]["step"] == 1 and arms["step 1 · A"]["channel"] == "email"


def test_b_over_a_and_over_the_holdout_with_intervals_and_verdicts(strategy: Any):
    result = strategy_results.strategy_results(db.session, strategy, clock=ManualClock(START))
    found = _rows(result["comparisons"])
    rows = {(r["metric"], r["step"], r["baseline"], r["arm"]): r for r in found}
    assert set(rows) == {
        (metric, step, base, arm)
        for metric in ("goal", "reply")
        for step, base, arm in [
            (None, "holdout", "contacted"),
            (1, "A", "B"),
            (1, "holdout", "A"),
            (1, "holdout", "B"),
        ]
    }
    cases = {
        ("reply", 1, "A", "B"): ((4, 10), (7, 10)),
        ("goal", 1, "A", "B"): ((2, 10), (5, 10)),
        ("goal", None, "holdout", "contacted"): ((1, 10), (7, 20)),
        ("reply", 1, "holdout", "B"): ((1, 10), (7, 10)),
    }
    for key, (base, arm) in cases.items():
        difference, low, high = newcombe(base, arm)
        row = rows[key]
        assert row["difference"] == pytest.approx(difference, abs=1e-4)
        assert row["low"] == pytest.approx(low, abs=1e-4)
        assert row["high"] == pytest.approx(high, abs=1e-4)
    # B's reply rate against the holdout's: 0.7 - 0.1 = 0.6, interval
    # 0.6 - sqrt((0.7 - 0.3968)² + (0.4042 - 0.1)²) = 0.1705 to
    # 0.6 + sqrt((0.8922 - 0.7)² + (0.1 - 0.0179)²) = 0.8090; the score test is Pearson's
    # chi-square on [[7, 3], [1, 9]] without correction: 7.5, p = 0.0062 — told apart.
    told = rows[("reply", 1, "holdout", "B")]
    assert (told["low"], told["high"]) == (0.1705, 0.809)
    assert told["p_value"] == pytest.approx(0.0062, abs=1e-4) and told["can_tell_apart"]
    assert told["verdict"].startswith("Reply rate: B beats holdout by 60.0 percentage points")
    # 5/10 against 2/10 cannot be told apart with ten each: the verdict says how many more.
    close = rows[("goal", 1, "A", "B")]
    assert not close["can_tell_apart"] and close["more_enrolments_needed"] > 0
    assert "cannot tell A and B apart yet" in close["verdict"]
    assert f"roughly {close['more_enrolments_needed']} more enrolments" in close["verdict"]
    assert result["verdicts"] == [
        rows[("goal", None, "holdout", "contacted")]["verdict"],
        close["verdict"],
    ]


def test_a_strategy_without_enrolments_has_no_rates_yet(in_app: Flask):
    clock = ManualClock(START)
    empty = make_strategy(db.session, clock, tag="empty")
    result = strategy_results.strategy_results(db.session, empty, clock=ManualClock(START))
    arms = _rows(result["arms"])
    assert [(a["arm"], a["enrolled"], a["reply_rate"]) for a in arms] == [
        ("contacted", 0, None),
        ("holdout", 0, None),
    ]
    assert result["comparisons"]["rows"] == [] and result["verdicts"] == []


def test_api_and_page_return_the_results(app: Flask, client: FlaskClient, make_user: Any):
    agent = make_user(Role.AGENT)
    with app.app_context():
        made = make_strategy(db.session, ManualClock(START), tag="api")
        token = accounts.issue_token(
            db.session, db.session.get(User, agent.id), "results", clock=current_clock()
        ).secret
        db.session.commit()
        strategy_id = made.id
    bearer = {"Authorization": f"Bearer {token}"}
    api = client.get(f"/api/v1/strategies/{strategy_id}/results", headers=bearer)
    assert api.status_code == 200
    assert api.json["arms"]["columns"][:3] == ["arm", "step", "variant"]
    missing = client.get("/api/v1/strategies/999999/results", headers=bearer)
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    login(client, agent.email)
    page = client.get(f"/strategies/{strategy_id}/results")
    assert page.status_code == 200 and page.json == api.json
    html = client.get(f"/strategies/{strategy_id}").get_data(as_text=True)
    assert 'id="strategy-results"' in html and 'data-list="verdicts"' in html
    assert 'data-section="revenue"' in html and "Revenue per enrolled customer" in html
    assert 'data-section="before_after"' in html and "(weaker evidence)" in html
    assert "Funnel per arm" in html and "goal_reached,unsubscribed,stopped" in html
    assert api.json["revenue"] == {"columns": strategy_revenue.COLUMNS, "rows": []}
    assert f'data-url="/strategies/{strategy_id}/results"' in html


def test_pareto_of_replies_by_channel_and_by_step(in_app: Flask):
    """Five replies credited to the last step sent: four to step 1 (email), one to step 2
    (SMS, after step 1's email). Left out: a holdout's reply, a reply stopped after the range,
    an unsubscribe. By channel: email 4 (80 %), SMS 1; email alone reaches 80 %."""
    clock = ManualClock(START)
    people = make_customers(db.session, clock, 8, tag="replies")
    made = make_strategy(db.session, clock, tag="replies")
    cases = [  # (steps sent as (index, channel), stop reason, stopped after the range)
        ([(0, "email")], "replied", False),
        ([(0, "email")], "replied", False),
        ([(0, "email")], "replied", False),
        ([(0, "email")], "replied", False),
        ([(0, "email"), (1, "sms")], "replied", False),
        ([], "replied", False),  # holdout
        ([(0, "email")], "replied", True),
        ([(0, "email")], "unsubscribed", False),
    ]
    for customer, (sent, reason, late) in zip(people, cases, strict=True):
        enrolment = Enrolment(
            strategy_id=made.id,
            version_id=made.current_version_id,
            customer_id=customer.id,
            status=EnrolmentStatus.STOPPED,
            enrolled_at=clock.now(),
            stop_reason=reason,
            stopped_at=clock.now() + timedelta(days=40 if late else 1),
        )
        db.session.add(enrolment)
        db.session.flush()
        for index, channel in sent:
            _event(enrolment, "sent", clock, step_index=index, channel=channel)
    db.session.commit()
    days = DayRange(date(2099, 2, 1), date(2099, 2, 28), "UTC")
    by_channel = pareto.pareto_report(db.session, "replies_by_channel", days, RequirementFilter())
    assert by_channel["bars"]["rows"] == [
        ["email", "email", 4, 0.8, 0.8],
        ["sms", "sms", 1, 0.2, 1.0],
    ]
    assert (by_channel["total"], by_channel["vital_few"]) == (5, ["email"])
    by_step = pareto.pareto_report(
        db.session, "replies_by_step", days, RequirementFilter(team_id=1)
    )
    assert by_step["bars"]["rows"] == [
        [f"{made.id}:1", "Strategy replies · step 1", 4, 0.8, 0.8],
        [f"{made.id}:2", "Strategy replies · step 2", 1, 0.2, 1.0],
    ]
    assert by_step["filters"] == {}  # the requirement filters do not apply to replies


def test_a_reply_rate_goal_counts_the_replies(strategy: Any):
    version = db.session.get(StrategyVersion, strategy.current_version_id)
    version.definition = {**version.definition, "goal": {"kpi": "reply_rate", "days": 30}}
    db.session.commit()
    result = strategy_results.strategy_results(db.session, strategy, clock=ManualClock(START))
    rows = _rows(result["arms"])
    assert [(r["arm"], r["replied"], r["goal_reached"]) for r in rows] == [
        ("contacted", 11, 11),
        ("holdout", 1, 1),
        ("step 1 · A", 4, 4),
        ("step 1 · B", 7, 7),
    ]
    assert result["goal"] == {"kpi": "reply_rate"}


def test_revenue_per_enrolled_customer_against_the_holdout_with_a_bootstrap_interval(
    strategy: Any,
):
    """Payments of 25 EUR: 7 contacted customers (customer 20's payment before enrolling does
    not count) over 20 enrolled is 8.75 each; 1 of 10 held out is 2.50; difference 6.25. The
    interval is the seeded BCa bootstrap of exactly those values (zeros for who never paid)."""
    result = strategy_results.strategy_results(db.session, strategy, clock=ManualClock(START))
    (row,) = _rows(result["revenue"])
    assert (row["currency"], row["contacted_enrolled"], row["holdout_enrolled"]) == ("EUR", 20, 10)
    assert (row["contacted_per_customer"], row["holdout_per_customer"]) == (8.75, 2.5)
    assert row["difference"] == 6.25 and row["method"] == "bootstrap"
    expected = stats.bootstrap_mean_difference([25.0] * 7 + [0.0] * 13, [25.0] + [0.0] * 9)
    assert (row["low"], row["high"]) == (round(expected.low, 2), round(expected.high, 2))
    assert row["low"] < 6.25 < row["high"]


def test_revenue_is_per_currency_and_ignores_refunds_open_and_cancelled(strategy: Any):
    """A USD order of contacted customer 12 makes a USD row of its own; a refund, an open and a
    cancelled order change nothing in EUR."""
    enrolments = db.session.scalars(
        select(Enrolment).where(Enrolment.strategy_id == strategy.id).order_by(Enrolment.id)
    ).all()
    clock = ManualClock(START + timedelta(days=1))
    customers = [db.session.get(Customer, e.customer_id) for e in enrolments]
    _pay(customers[12], clock, kind="order", amount="40", currency="USD")
    _pay(customers[13], clock, kind="refund", amount="25")
    _pay(customers[14], clock, kind="order", amount="99", status="open")
    _pay(customers[15], clock, kind="order", amount="99", status="cancelled")
    db.session.commit()
    revenue = _rows(
        strategy_results.strategy_results(db.session, strategy, clock=ManualClock(START))["revenue"]
    )
    per_customer = {
        r["currency"]: (r["contacted_per_customer"], r["holdout_per_customer"], r["difference"])
        for r in revenue
    }
    assert per_customer == {"EUR": (8.75, 2.5, 6.25), "USD": (2.0, 0.0, 2.0)}


def test_large_arms_use_the_normal_interval():
    contacted, holdout = [10.0] * 300 + [0.0] * 2700, [10.0] * 100 + [0.0] * 1900
    result, method = stats.mean_difference(contacted, holdout)
    assert method == "normal" and result.difference == pytest.approx(0.5)
    error = math.sqrt(0.9 * 0.1 * 100 / 3000 * 3000 / 2999 + 0.95 * 0.05 * 100 / 2000 * 2000 / 1999)
    assert (result.low, result.high) == (
        pytest.approx(0.5 - Z * error),
        pytest.approx(0.5 + Z * error),
    )


def test_without_a_holdout_revenue_before_and_after_enrolment_per_currency(in_app: Flask):
    """Goal window 30 days, all enrolled at START, measured at START + 31 days. EUR: customer 0
    bought 10 before (day -10) and 30 after (day 5); 1 bought 20 on day 29 (100 on day 30 is
    outside); 2 bought 50 on day -30 (100 on day -31 is outside); 3 nothing in EUR but 40 USD on
    day -1. Customer 4 enrolled on day 20, so its after-window is still open: left out. EUR per
    customer: before (10 + 50) / 4 = 15, after (30 + 20) / 4 = 12.5; USD 10 before, 0 after."""
    clock = ManualClock(START - timedelta(days=60))
    people = make_customers(db.session, clock, 5, tag="before")
    made = make_strategy(
        db.session, clock, tag="before", holdout_percent=0, goal={"kpi": "revenue", "days": 30}
    )
    for n, customer in enumerate(people):
        enrolment = Enrolment(
            strategy_id=made.id,
            version_id=made.current_version_id,
            customer_id=customer.id,
            status=EnrolmentStatus.ACTIVE,
            enrolled_at=START + timedelta(days=20 if n == 4 else 0),
        )
        db.session.add(enrolment)
    bought = [
        (0, -10, "10", "EUR"),
        (0, 5, "30", "EUR"),
        (1, 29, "20", "EUR"),
        (1, 30, "100", "EUR"),
        (2, -30, "50", "EUR"),
        (2, -31, "100", "EUR"),
        (3, -1, "40", "USD"),
        (4, 21, "500", "EUR"),
    ]
    for n, day, amount, currency in bought:
        on = (START + timedelta(days=day)).date().isoformat()
        _pay(people[n], clock, amount=amount, currency=currency, occurred_on=on)
    db.session.commit()
    result = strategy_results.strategy_results(
        db.session, made, clock=ManualClock(START + timedelta(days=31))
    )
    assert result["revenue"]["rows"] == []  # no holdout to compare against
    rows = {r["currency"]: r for r in _rows(result["before_after"])}
    eur, usd = rows["EUR"], rows["USD"]
    assert (eur["customers"], eur["window_days"], eur["bought_before"], eur["bought_after"]) == (
        4,
        30,
        2,
        2,
    )
    assert (eur["before_per_customer"], eur["after_per_customer"], eur["difference"]) == (
        15.0,
        12.5,
        -2.5,
    )
    expected, method = stats.paired_mean_difference([0, 10, 50, 0], [20, 30, 0, 0])
    assert (eur["low"], eur["high"]) == (round(expected.low, 2), round(expected.high, 2))
    assert eur["method"] == method == "bootstrap"
    assert (usd["bought_before"], usd["bought_after"], usd["bought_before_rate"]) == (1, 0, 0.25)
    assert (usd["before_per_customer"], usd["after_per_customer"]) == (10.0, 0.0)
    # Before the first window closes there is nothing to show.
    early = strategy_results.strategy_results(db.session, made, clock=ManualClock(START))
    assert early["before_after"]["rows"] == []


def test_a_strategy_with_a_holdout_shows_no_before_and_after(strategy: Any):
    later = ManualClock(START + timedelta(days=60))
    result = strategy_results.strategy_results(db.session, strategy, clock=later)
    assert result["before_after"] == {"columns": strategy_before_after.COLUMNS, "rows": []}


def test_many_paired_customers_use_the_normal_interval():
    """2,000 customers: 200 bought 10 after only, the rest nothing; d is 10 for 10 %."""
    before, after = [0.0] * 2000, [10.0] * 200 + [0.0] * 1800
    result, method = stats.paired_mean_difference(before, after)
    error = math.sqrt(100 * 0.1 * 0.9 * 2000 / 1999 / 2000)
    assert method == "normal" and result.difference == pytest.approx(1.0)
    assert (result.low, result.high) == (
        pytest.approx(1.0 - Z * error),
        pytest.approx(1.0 + Z * error),
    )


def test_funnel_counts_delivered_bounced_unsubscribed_and_stopped_per_arm(strategy: Any):
    """Step 1's email: A delivered to 10-15 and 17, dead (failed or bounced) for 16, none yet
    for 18-19; B dead for 20, delivered to 21-29, and step 2 delivered to 20. A bounce
    suppressed 17's address after enrolling (delivered, then bounced) and held-out 5's (never
    sent: no bounce). 12 unsubscribed; 22 and held-out 3 stopped on a reply. Delivered and
    bounced are over those sent, unsubscribed and stopped over the enrolled."""
    enrolments = db.session.scalars(
        select(Enrolment).where(Enrolment.strategy_id == strategy.id).order_by(Enrolment.id)
    ).all()
    now = START + timedelta(hours=4)
    sent_to = {
        **dict.fromkeys([*range(10, 16), 17, *range(21, 30)], "sent"),
        16: "dead",
        20: "dead",
    }
    for n, status in sent_to.items():
        _outbox(enrolments[n], 0, OutboxStatus(status), now)
    _outbox(enrolments[20], 1, OutboxStatus.SENT, now)
    for n in (17, 5):
        db.session.add(
            EmailSuppression(
                email=f"bounce{n}@example.org",
                reason=SuppressionReason.BOUNCED,
                created_at=now,
                customer_id=enrolments[n].customer_id,
            )
        )
    for n, reason in ((12, "unsubscribed"), (22, "replied"), (3, "replied")):
        enrolments[n].status, enrolments[n].stop_reason = EnrolmentStatus.STOPPED, reason
        enrolments[n].stopped_at = now
    db.session.commit()
    arms = {
        row["arm"]: row
        for row in _rows(
            strategy_results.strategy_results(db.session, strategy, clock=ManualClock(now))["arms"]
        )
    }
    expected = {  # reached, delivered, bounced, unsubscribed, stopped
        "contacted": (20, 17, 3, 1, 2),
        "holdout": (0, 0, 0, 0, 1),
        "step 1 · A": (10, 7, 2, 1, 1),
        "step 1 · B": (10, 9, 1, 0, 1),
    }
    funnel = ("reached", "delivered", "bounced", "unsubscribed", "stopped")
    assert {name: tuple(row[c] for c in funnel) for name, row in arms.items()} == expected
    rate, low, high = wilson(7, 10)
    a = arms["step 1 · A"]
    assert (a["delivered_rate"], a["delivered_low"], a["delivered_high"]) == (
        pytest.approx(rate, abs=1e-4),
        pytest.approx(low, abs=1e-4),
        pytest.approx(high, abs=1e-4),
    )
    assert arms["holdout"]["bounced_rate"] is None  # nothing sent, no rate
    assert arms["contacted"]["stopped_rate"] == 0.1
    rate, low, high = wilson(1, 10)
    assert arms["step 1 · A"]["unsubscribed_low"] == pytest.approx(low, abs=1e-4)


def _outbox(enrolment: Enrolment, step: int, status: OutboxStatus, now: datetime) -> None:
    key = f"test:{enrolment.id}:{step}"
    row = OutboxMessage(
        idempotency_key=key,
        cause=f"outreach:{enrolment.strategy_id}",
        to_address="someone@example.org",
        subject="Hello",
        body_text="Hello",
        message_id=f"<{key}@example.org>",
        status=status,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    event = db.session.scalar(
        select(EnrolmentEvent).where(
            EnrolmentEvent.enrolment_id == enrolment.id,
            EnrolmentEvent.kind == "sent",
            EnrolmentEvent.step_index == step,
        )
    )
    event.outbox_id = row.id
    db.session.flush()
    sync_delivery(db.session, [row.id], now=now)  # as the sender and the bounce handler do
