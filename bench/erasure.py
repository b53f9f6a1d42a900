"""Erase customers of a seeded data set in-process, step by step as the worker does, and print
how long the whole erasure took and the longest single step (one transaction: on SQLite, the
longest time the job holds the write lock, which is what other writers such as the clock wait
for).

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python -m bench.erasure [--customers 3]

Each run erases real rows of the data set (the customers with the lowest ids not yet erased).
"""

import argparse
import statistics
import time

from sqlalchemy import select

from models import Customer, ErasureJob
from web import create_app
from web.extensions import db
from workflows.platform.clock import SystemClock
from workflows.platform.publishing import take_pending
from workflows.privacy import erasure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=3)
    args = parser.parse_args()
    app = create_app({"SQLITE_IMMEDIATE": True})
    clock = SystemClock()
    with app.app_context():
        ids = list(
            db.session.scalars(
                select(Customer.id)
                .where(Customer.erased_at.is_(None), Customer.primary_email.is_not(None))
                .order_by(Customer.id)
                .limit(args.customers)
            )
        )
        totals, longest, calls = [], [], []
        for customer_id in ids:
            job = erasure.request_erasure(
                db.session, db.session.get(Customer, customer_id), actor_id=None, clock=clock
            )
            take_pending(db.session)  # no worker here: this process runs the job itself
            db.session.commit()
            job_id = job.id
            durations: list[float] = []
            names: list[str] = []
            plan = erasure.steps()
            started = time.perf_counter()
            while True:
                done = db.session.get(ErasureJob, job_id).steps_done
                names.append(plan[min(done, len(plan) - 1)].name)
                t0 = time.perf_counter()
                more = erasure.step(db.session, job_id, clock=clock)
                db.session.commit()
                durations.append(time.perf_counter() - t0)
                if not more:
                    break
            totals.append(time.perf_counter() - started)
            longest.append(max(durations))
            calls.append(len(durations))
            job = db.session.get(ErasureJob, job_id)
            print(
                f"customer {customer_id}: {job.status}, {len(durations)} steps, "
                f"{totals[-1]:.2f} s total, longest step {longest[-1] * 1000:.0f} ms "
                f"({names[durations.index(longest[-1])]}), "
                f"{job.certificate.get('rows_changed')} rows changed"
            )
        t0 = time.perf_counter()
        covered = erasure.compact_after_erasures(db.session, clock=clock)
        db.session.commit()
        print(
            f"search index compaction (hourly task) after {covered} erasures: "
            f"{time.perf_counter() - t0:.2f} s"
        )
        if totals:
            print(
                f"median: {statistics.median(totals):.2f} s per erasure, longest step "
                f"{statistics.median(longest) * 1000:.0f} ms (max {max(longest) * 1000:.0f} ms)"
            )


if __name__ == "__main__":
    main()
