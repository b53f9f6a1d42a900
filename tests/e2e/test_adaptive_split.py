"""End to end: the real Celery worker runs beat's `outreach.adapt_splits` task on committed
enrolments (B reaches the goal far more often than A) and stores a split that favours B while A
keeps the floor; running it again adds a second row to the history."""

from typing import Any

from flask import Flask
from sqlalchemy import select

from models import VariantSplit
from tests.integration.test_adaptive_split import hand_built
from tests.services import wait_until
from web.extensions import db


def _rows(app: Flask, strategy_id: int) -> list[VariantSplit]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(VariantSplit)
                .where(VariantSplit.strategy_id == strategy_id)
                .order_by(VariantSplit.id)
            )
        )
        db.session.expunge_all()
        return rows


def test_the_worker_computes_and_stores_the_adaptive_split(app: Flask, worker: Any) -> None:
    with app.app_context():
        strategy_id = hand_built().id
    celery = app.extensions["celery"]
    celery.send_task("outreach.adapt_splits")
    wait_until(lambda: len(_rows(app, strategy_id)) == 1, timeout=30, interval=0.2)
    (split,) = _rows(app, strategy_id)
    assert split.step_index == 0
    assert (split.trials, split.successes) == ({"A": 20, "B": 20}, {"A": 2, "B": 12})
    assert split.shares["B"] > 0.85 and split.shares["A"] >= 0.0995
    celery.send_task("outreach.adapt_splits")
    wait_until(lambda: len(_rows(app, strategy_id)) == 2, timeout=30, interval=0.2)
    first, second = _rows(app, strategy_id)
    assert second.computed_at >= first.computed_at and second.shares == first.shares
