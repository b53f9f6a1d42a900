"""The sales report's rollups (`customer_values`, `daily_revenue`) equal the raw computation after
a random mix of writes through the workflows: transactions recorded, edited (amount, kind,
status, currency, day) and deleted, customers merged and purged. The raw side is computed here
in Python from the transactions, independently of the rollups' SQL."""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from models import Customer, CustomerValue, DailyRevenue, Transaction
from web.extensions import db
from workflows.analytics.filters import RequirementFilter
from workflows.analytics.ranges import DayRange
from workflows.analytics.sales import sales_report
from workflows.customers import merge, profiles, sales_rollups, transactions
from workflows.platform.clock import ManualClock

clock = ManualClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
KINDS = ["order", "invoice", "payment", "refund"]
STATUSES = ["completed", "completed", "completed", "open", "cancelled"]
SALES = ("order", "invoice", "payment")


def _raw() -> tuple[dict, dict]:
    """From every transaction: {(customer, currency): (net, last sale)}, {(day, currency):
    (revenue, count)}, as `transactions.lifetime_value` and the revenue rule define them."""
    by_kind: dict[tuple[int, str], dict[str, Decimal]] = defaultdict(dict)
    last: dict[tuple[int, str], date | None] = {}
    revenue: dict[tuple[date, str], list] = defaultdict(lambda: [Decimal(0), 0])
    for t in db.session.scalars(select(Transaction)):
        if t.deleted_at is not None or t.status.value != "completed":
            continue
        key = (t.customer_id, t.currency)
        kinds = by_kind[key]
        kinds[t.kind.value] = kinds.get(t.kind.value, Decimal(0)) + t.amount
        last.setdefault(key, None)
        if t.kind.value in SALES:
            last[key] = max(filter(None, [last[key], t.occurred_on]))
        if t.kind.value in ("payment", "refund"):
            sums = revenue[(t.occurred_on, t.currency)]
            sums[0] += -t.amount if t.kind.value == "refund" else t.amount
            sums[1] += 1
    values = {}
    for key, kinds in by_kind.items():
        gross = next((kinds[k] for k in ("payment", "invoice", "order") if k in kinds), 0)
        values[key] = (gross - kinds.get("refund", Decimal(0)), last[key])
    return values, {key: (total, count) for key, (total, count) in revenue.items()}


def _rolled_up() -> tuple[dict, dict]:
    values = {
        (v.customer_id, v.currency): (Decimal(v.net_units) / 10000, v.last_sale_on)
        for v in db.session.scalars(select(CustomerValue))
    }
    revenue = {
        (r.day, r.currency): (Decimal(r.revenue_units) / 10000, r.transactions)
        for r in db.session.scalars(select(DailyRevenue))
    }
    return values, revenue


def test_rollups_equal_the_raw_figures_after_a_random_mix_of_writes(in_app: Flask) -> None:
    rng = random.Random(20261205)  # noqa: S311 (a reproducible mix, not a secret)
    customers = [
        profiles.create_customer(db.session, {"name": f"Buyer {n}"}, actor_id=None, clock=clock)
        for n in range(8)
    ]
    db.session.commit()
    start = date(2026, 1, 1)
    merged = purged = 0
    for step in range(160):
        live = [c for c in customers if c.deleted_at is None]
        mine = list(db.session.scalars(select(Transaction).where(Transaction.deleted_at.is_(None))))
        roll = rng.random()
        if roll < 0.55 or not mine:
            transactions.record_transaction(
                db.session,
                rng.choice(live),
                {
                    "kind": rng.choice(KINDS),
                    "status": rng.choice(STATUSES),
                    "amount": f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}",
                    "currency": rng.choice(["EUR", "USD"]),
                    "occurred_on": (start + timedelta(days=rng.randint(0, 40))).isoformat(),
                },
                actor_id=None,
                clock=clock,
            )
        elif roll < 0.8:
            chosen = rng.choice(mine)
            field = rng.choice(["amount", "kind", "status", "currency", "occurred_on"])
            value = {
                "amount": f"{rng.randint(1, 9999)}.5",
                "kind": rng.choice(KINDS),
                "status": rng.choice(STATUSES),
                "currency": rng.choice(["EUR", "USD"]),
                "occurred_on": (start + timedelta(days=rng.randint(0, 40))).isoformat(),
            }[field]
            transactions.update_transaction(
                db.session,
                chosen,
                {field: value},
                expected_version=chosen.version,
                actor_id=None,
                clock=clock,
            )
        elif roll < 0.95:
            transactions.delete_transaction(
                db.session, rng.choice(mine), actor_id=None, clock=clock
            )
        elif roll < 0.975 and len(live) > 3:
            survivor, other = rng.sample(live, 2)
            merge.merge_customers(
                db.session,
                survivor,
                other,
                choices={},
                expected_versions={},
                actor_id=None,
                clock=clock,
            )
            merged += 1
        elif len(live) > 3:
            gone = rng.choice(live)
            profiles.delete_customer(db.session, gone, actor_id=None, clock=clock)
            profiles.purge_customer(db.session, gone, actor_id=None, clock=clock)
            customers.remove(gone)
            purged += 1
        db.session.commit()
        if step % 40 == 39:
            db.session.expire_all()
            assert _rolled_up() == _raw(), f"after step {step}"
    db.session.expire_all()
    values, revenue = _raw()
    assert merged and purged and len(values) >= 4 and len(revenue) >= 10  # the mix happened
    assert _rolled_up() == (values, revenue)
    # And the report reads them: revenue per month and the dormant list from the rollups.
    report = sales_report(
        db.session,
        DayRange(date(2026, 1, 1), date(2026, 2, 28), "UTC"),
        RequirementFilter(),
        today=date(2026, 6, 1),
    )
    by_month: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (day, currency), (total, _) in revenue.items():
        if day <= date(2026, 2, 28):
            by_month[(day.isoformat()[:7], currency)] += total
    assert {(m, c): Decimal(v) for m, c, v, _ in report["revenue"]["rows"]} == by_month
    assert report["dormant"]["count"] == len(
        {
            cid
            for (cid, _), (_, last) in values.items()
            if last is not None and db.session.get(Customer, cid).deleted_at is None
        }
    )


def test_rebuild_recomputes_what_the_writes_kept(in_app: Flask) -> None:
    buyer = profiles.create_customer(db.session, {"name": "Bulk"}, actor_id=None, clock=clock)
    for amount, kind in (("10.10", "order"), ("20.20", "payment"), ("0.30", "refund")):
        transactions.record_transaction(
            db.session,
            buyer,
            {"kind": kind, "amount": amount, "currency": "EUR"},
            actor_id=None,
            clock=clock,
        )
    db.session.commit()
    kept = _rolled_up()
    assert kept[0] == {(buyer.id, "EUR"): (Decimal("19.9"), date(2026, 3, 10))}
    sales_rollups.rebuild(db.session)
    db.session.commit()
    assert _rolled_up() == kept == _raw()
