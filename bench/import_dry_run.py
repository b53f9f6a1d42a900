"""Dry-run a generated CSV import in-process, chunk by chunk as the worker does (checks in a
read-only transaction, then a short one recording the chunk), and print rows per second, the
longest chunk and the longest recording transaction (on SQLite, the longest time the dry run
holds the write lock, which is what the clock waits for).

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python -m bench.import_dry_run [--rows 40000]

The database needs the schema (`flask --app web db upgrade`); the dry run writes only its job.
"""

import argparse
import time

from web import create_app
from web.database import READ_ONLY
from web.extensions import db
from workflows.customers import import_checks, imports
from workflows.platform.clock import SystemClock
from workflows.platform.publishing import take_pending


def generated_csv(rows: int) -> str:
    lines = ["Full name,E-mail,Phone,Company,Tags\n"]
    lines += [
        f"Person {n},person{n}@example.com,0049 151 {20000000 + n},Company {n % 50},vip\n"
        for n in range(2, rows + 2)
    ]
    return "".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=40_000)
    args = parser.parse_args()
    app = create_app({"SQLITE_IMMEDIATE": True})
    clock = SystemClock()
    content = generated_csv(args.rows)
    with app.app_context():
        t0 = time.perf_counter()
        job = imports.create_job(
            db.session, filename="bench.csv", content=content, created_by_id=None, clock=clock
        )
        import_checks.request(db.session, job, clock=clock)
        take_pending(db.session)  # no worker here: this process runs the dry run itself
        job_id, run = job.id, job.dry_run["run"]
        db.session.commit()
        upload = time.perf_counter() - t0
        started = time.perf_counter()
        db.session.connection(execution_options=READ_ONLY)
        checked = import_checks.load(db.session, job_id, run)
        db.session.rollback()
        parsed = time.perf_counter() - started
        chunks, records = [], []
        while not checked.finished:
            t0 = time.perf_counter()
            db.session.connection(execution_options=READ_ONLY)
            import_checks.check_chunk(db.session, checked, clock=clock)
            db.session.rollback()
            t1 = time.perf_counter()
            import_checks.record(db.session, checked)
            db.session.commit()
            chunks.append(t1 - t0)
            records.append(time.perf_counter() - t1)
        total = time.perf_counter() - started
        state = checked.state
        print(
            f"{args.rows} rows ({len(content) / 1e6:.1f} MB): upload (parse + store) "
            f"{upload:.2f} s; dry run {total:.1f} s ({args.rows / total:.0f} rows/s, parse "
            f"{parsed:.2f} s), {len(chunks)} chunks of {import_checks.CHUNK_SIZE}, longest "
            f"chunk {max(chunks) * 1000:.0f} ms, longest write transaction "
            f"{max(records) * 1000:.1f} ms; {state['creates']} create, {state['updates']} "
            f"update, {state['bad_rows']} bad"
        )


if __name__ == "__main__":
    main()
