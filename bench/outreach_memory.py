"""Memory of enrolling a large audience: seeds N customers (as bench/outreach.py does), then runs
the `outreach.enrol` task's own function in a fresh process and prints that process's resident
memory (RSS) before, at its peak and after, with the time taken.

    python -m bench.outreach_memory --customers 1000000
    python -m bench.outreach_memory --customers 100000 --postgresql

Run it at two sizes: memory that streams stays flat while the audience grows tenfold.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.outreach import seed, strategy
from models import DueStep, Enrolment
from tests.services import PostgresServer, RedisServer
from web import create_app
from web.extensions import db
from workflows.platform.clock import SystemClock


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(url: str, redis_url: str, folder: str, strategy_id: int) -> None:
    """The enrolling process: the worker's task function, in an app context, as a worker runs
    it; a thread samples the RSS every 0.2 s."""
    from workers.outreach import enrol  # imports Celery and the app, like a worker

    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "INSTANCE_PATH": folder})
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            samples.append(rss_mib())

    with app.app_context():
        db.session.execute(select(1))  # connect before the first figure
        before = rss_mib()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        enrol.run(strategy_id)
        took = time.monotonic() - started
        done.set()
        sampler.join()
        after = rss_mib()
        enrolled = db.session.scalar(select(func.count()).select_from(Enrolment))
        planned = db.session.scalar(select(func.count()).select_from(DueStep))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"enrolled {enrolled}, planned {planned} first steps in {took:.1f} s "
        f"({enrolled / took:,.0f}/s); enrolling process RSS: before {before:.0f} MiB, "
        f"sampled max {max(samples, default=after):.0f} MiB, peak (ru_maxrss) {peak:.0f} MiB, "
        f"after {after:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--postgresql", action="store_true", help="start a private cluster")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, redis_url, folder, strategy_id = args.child
        child(url, redis_url, folder, int(strategy_id))
        return

    folder = Path(tempfile.mkdtemp(prefix="rapport-bench-outreach-memory-"))
    postgres = PostgresServer().start() if args.postgresql else None
    url = postgres.url if postgres else f"sqlite:///{folder / 'bench.sqlite3'}"
    redis_server = RedisServer(folder / "redis").start()
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": redis_server.url,
            "RAPPORT_INSTANCE_PATH": str(folder),
        }
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "web", "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        app = create_app(
            {"DATABASE_URL": url, "REDIS_URL": redis_server.url, "INSTANCE_PATH": str(folder)}
        )
        with app.app_context():
            started = time.monotonic()
            seed(args.customers)
            strategy_id = strategy(SystemClock()).id
            for engine in db.engines.values():
                engine.dispose()
        print(
            f"seeded {args.customers} customers in {time.monotonic() - started:.0f} s on "
            f"{url.split(':')[0]}; load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.outreach_memory",
                "--child",
                url,
                redis_server.url,
                str(folder),
                str(strategy_id),
            ],
            env=env,
            check=True,
        )
        print(f"load after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        redis_server.stop()
        if postgres:
            postgres.stop()


if __name__ == "__main__":
    main()
