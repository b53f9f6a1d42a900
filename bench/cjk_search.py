"""Customer search with Chinese names: one- and two-character, pinyin, initials and Chinese
mobile-number fragments, at 100,000 customers of whom half have Chinese names. Prints p50/p95
latency and CPU per query for each kind, as the customer list runs it (`list_customers`, 25 a
page with snippets: the code the list, the global search, the API and the picker share).

    python -m bench.cjk_search --seed                    # a fresh SQLite file in /tmp
    python -m bench.cjk_search --seed --postgresql       # a private PostgreSQL cluster
    DATABASE_URL=… python -m bench.cjk_search            # a database seeded before (--keep)

Chinese customers: surnames drawn by their real frequency (王 李 张 刘 陈 … 7 % down to 0.3 %,
a few compound ones), given names of one (40 %) or two characters from ~60 common ones, a +86
mobile; the others are Latin names with a +49 mobile (bench/seed.py's names). Every document
also carries ~300 characters of notes (Chinese text for the Chinese customers). CPU is this
process's (SQLite runs in it) plus, on PostgreSQL, the server backend's (from /proc).
Deterministic (seeded random).
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

from bench.seed import FIRST, LAST
from models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchDocument,
    CustomerSearchKey,
)
from models.name_readings import pinyin_forms, sort_key
from tests.services import PostgresServer
from web import create_app
from web.extensions import db
from workflows.customers.queries import CustomerFilter, list_customers
from workflows.customers.search_index import name_keys, phone_digits
from workflows.platform.text_folding import with_folded

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHUNK = 5_000
# Share of the population (%), after the 2020 census' order; the rest of the weight spread over
# the tail. Compound surnames are rare but exist.
SURNAMES = {
    "王": 7.1, "李": 7.0, "张": 6.7, "刘": 5.4, "陈": 4.5, "杨": 3.1, "黄": 2.2, "赵": 2.0,
    "吴": 1.9, "周": 1.9, "徐": 1.5, "孙": 1.5, "马": 1.4, "朱": 1.3, "胡": 1.3, "郭": 1.2,
    "何": 1.1, "林": 1.0, "高": 1.0, "罗": 0.9, "郑": 0.9, "梁": 0.9, "谢": 0.8, "宋": 0.7,
    "唐": 0.7, "许": 0.7, "韩": 0.6, "冯": 0.6, "邓": 0.6, "曹": 0.6, "彭": 0.6, "曾": 0.5,
    "肖": 0.5, "田": 0.5, "董": 0.5, "袁": 0.4, "潘": 0.4, "于": 0.4, "蒋": 0.4, "蔡": 0.4,
    "余": 0.4, "杜": 0.4, "叶": 0.4, "程": 0.4, "苏": 0.3, "魏": 0.3, "吕": 0.3, "丁": 0.3,
    "任": 0.3, "沈": 0.3, "欧阳": 0.05, "司马": 0.02, "诸葛": 0.01,
}  # fmt: skip
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉文建国斌宇浩凯婷雪琳晨欣怡佳"
    "子轩涵梓博思雨嘉俊一诺晓海小云峰丹宁亮"
)
NOTES_ZH = (
    "客户要求退款订单已经发货请尽快联系物流公司确认地址发票抬头需要修改下周再回访一次"
    "产品质量问题售后服务满意度调查合同续签价格优惠会员积分"
)
WORDS = ["order", "invoice", "delivery", "refund", "contract", "renewal", "meeting", "quote"]
# One customer in ten, of either kind, works for one of these (a line of the document, as an
# organisation's name is): what a mixed query such as `王 Globex` narrows by.
COMPANIES = [f"{w}tech" for w in ("acme", "globex", "initech", "umbrella", "hooli", "vandelay",
    "stark", "wayne", "tyrell", "cyberdyne")]  # fmt: skip
MOBILE_PREFIXES = [f"13{d}" for d in range(10)] + [f"15{d}" for d in range(10)] + ["177", "180",
    "181", "186", "187", "188", "189", "199"]  # fmt: skip


def _chinese_name(rng: random.Random) -> str:
    surname = rng.choices(list(SURNAMES), weights=list(SURNAMES.values()))[0]
    given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.4 else 2))
    return surname + given


def seed(total: int) -> dict[str, float]:
    rng = random.Random(16)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    conn = db.session.connection()
    key_rows = 0
    for start in range(1, total + 1, CHUNK):
        customers, emails, phones, docs, keys = [], [], [], [], []
        for cid in range(start, min(start + CHUNK, total + 1)):
            chinese = cid % 2 == 0
            if chinese:
                name = _chinese_name(rng)
                e164 = f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
                notes = "".join(rng.choice(NOTES_ZH) for _ in range(rng.randint(40, 120)))
                email = f"c{cid}@example.cn"
            else:
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                e164 = f"+49151{rng.randrange(10**7, 10**8)}"
                notes = " ".join(rng.choices(WORDS, k=rng.randint(20, 50)))
                email = f"{name.replace(' ', '.').lower()}.{cid}@example.com"
            customers.append(
                {
                    "id": cid,
                    "name": name,
                    "name_sort": sort_key(name),
                    "primary_email": email,
                    "custom": {},
                    "created_at": NOW,
                    "updated_at": NOW,
                    "version": 1,
                }
            )
            emails.append({"id": cid, "customer_id": cid, "email": email, "is_primary": True})
            phones.append({"id": cid, "customer_id": cid, "e164": e164})
            parts = [name]
            if pinyin := pinyin_forms(name):
                parts.append(" ".join(pinyin))
            parts += [email, *phone_digits(e164)]
            if rng.random() < 0.1:
                parts.append(rng.choice(COMPANIES))
            parts.append(notes)
            docs.append(
                {"customer_id": cid, "document": with_folded("\n".join(parts)), "updated_at": NOW}
            )
            keys += [{"key": k, "customer_id": cid} for k in name_keys(name)]
        conn.execute(insert(Customer), customers)
        conn.execute(insert(CustomerEmail), emails)
        conn.execute(insert(CustomerPhone), phones)
        conn.execute(insert(CustomerSearchDocument), docs)
        conn.execute(insert(CustomerSearchKey), keys)
        key_rows += len(keys)
        db.session.commit()
        conn = db.session.connection()
    timings["seed (s)"] = time.perf_counter() - started
    timings["short-query keys (rows)"] = key_rows
    if conn.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect() as auto:
            auto.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        conn.execute(text("ANALYZE"))
        db.session.commit()
    return timings


def _queries(rng: random.Random) -> dict[str, list[str]]:
    """Queries of each kind, taken from the seeded data so that they find someone."""
    rows = db.session.execute(
        text(
            "SELECT c.name, p.e164 FROM customers c JOIN customer_phones p ON p.customer_id = c.id "
            "WHERE p.e164 LIKE '+86%' ORDER BY c.id LIMIT 2000"
        )
    ).all()
    sample = rng.sample(rows, 12)
    names = [n for n, _ in sample]
    nationals = [e[3:] for _, e in sample]
    return {
        "1 character (surname)": ["王", "李", "张", "刘", "陈", "赵", "欧", "曾"],
        "1 character (given name)": ["芳", "伟", "明", "静", "磊", "婷", "轩", "诺"],
        "2 characters": [n[:2] for n in names[:4]] + [n[-2:] for n in names[4:8]],
        "pinyin": [pinyin_forms(n)[0] for n in names[:6]] + ["Zhang Wei", "wang fang"],
        "initials": [f for n in names[:8] if len(f := pinyin_forms(n)[1]) >= 2][:8],
        "phone fragment": [f"{d[:3]} {d[3:7]}" for d in nationals[:4]]
        + [nationals[4], f"+86 {nationals[5][:3]}-{nationals[5][3:7]}-{nationals[5][7:]}"]
        + [d[3:8] for d in nationals[6:8]],
        "Latin (unchanged path)": ["lima", "Walter", "silva", "an"],
        "mixed (Chinese + Latin)": ["王 globex", "芳 acmetech", "张伟 hooli", "李 stark"],
    }


def _backend_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(repeats: int) -> None:
    rng = random.Random(7)
    queries = _queries(rng)
    session = db.session
    pid = None
    if session.get_bind().dialect.name == "postgresql":
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    for q in [q for qs in queries.values() for q in qs]:  # warm the caches once
        list_customers(session, CustomerFilter(q=q), limit=25)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'kind':<26} {'queries':>7} {'hits/page':>9} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8}")
    for kind, qs in queries.items():
        walls, cpus, hits = [], [], []
        for _ in range(repeats):
            for q in qs:
                cpu0, back0, wall0 = time.process_time(), _backend_cpu(pid), time.perf_counter()
                page = list_customers(session, CustomerFilter(q=q), limit=25)
                walls.append((time.perf_counter() - wall0) * 1000)
                cpus.append((time.process_time() - cpu0 + _backend_cpu(pid) - back0) * 1000)
                hits.append(len(page.items))
                session.rollback()
        walls.sort()
        p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
        print(
            f"{kind:<26} {len(qs):>7} {statistics.mean(hits):>9.1f} "
            f"{statistics.median(walls):>8.1f} {p95:>8.1f} {statistics.mean(cpus):>8.1f}"
        )
    for sort in ("name", "-name"):
        walls, cpus = [], []
        for _ in range(repeats):
            cpu0, back0, wall0 = time.process_time(), _backend_cpu(pid), time.perf_counter()
            page = list_customers(session, CustomerFilter(), sort=sort, limit=25)
            list_customers(session, CustomerFilter(), sort=sort, limit=25, cursor=page.next_cursor)
            walls.append((time.perf_counter() - wall0) * 1000 / 2)
            cpus.append((time.process_time() - cpu0 + _backend_cpu(pid) - back0) * 1000 / 2)
            session.rollback()
        print(
            f"list by {sort:<5} (a page, no query): p50 {statistics.median(walls):.1f} ms, "
            f"CPU {statistics.mean(cpus):.1f} ms"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("queries:", {k: v for k, v in queries.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--seed", action="store_true", help="seed a fresh database first")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--postgresql", action="store_true", help="a private cluster (--seed)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each query")
    parser.add_argument("--keep", action="store_true", help="keep the seeded SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rapport-bench-cjk-"))
    postgres = PostgresServer().start() if args.seed and args.postgresql else None
    url = os.environ.get("DATABASE_URL")
    if args.seed:
        url = postgres.url if postgres else f"sqlite:///{folder / 'bench.sqlite3'}"
    if not url:
        sys.exit("Pass --seed, or set DATABASE_URL to a database this benchmark seeded.")
    try:
        env = {**os.environ, "DATABASE_URL": url, "RAPPORT_INSTANCE_PATH": str(folder)}
        if args.seed:
            subprocess.run(
                [sys.executable, "-m", "flask", "--app", "web", "db", "upgrade"],
                env=env,
                check=True,
                capture_output=True,
            )
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder)})
        with app.app_context():
            print(f"database: {db.engine.dialect.name}")
            if args.seed:
                for label, value in seed(args.customers).items():
                    print(f"{label}: {value:,.1f}")
            measure(args.repeats)
            db.session.remove()
            db.engine.dispose()
    finally:
        if postgres:
            postgres.stop()
        if args.keep and not postgres:
            print(f"kept: {url}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
