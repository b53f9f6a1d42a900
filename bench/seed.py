"""Seed a benchmark data set with bulk inserts: 100,000 customers (emails, phones, organisations,
tags, search documents), 1,000,000 communications and 300,000 transactions.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 flask --app web db upgrade
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python -m bench.seed [--customers 100000]

With `--requirements 100000` it also seeds requirements with events, SLA clocks, linked
communications and search documents (bench/seed_requirements.py).

About 1 % of customers mention the word SEARCH_WORD ("zephyrine") in their notes, so a search
for it finds ~1,000 of them. Prints how long each part took. Deterministic (seeded random).
"""

import argparse
import html
import json
import os
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Connection, create_engine, event, func, insert, select, text
from sqlalchemy.orm import Session

from bench.seed_requirements import RequirementSeeder
from models import (
    Communication,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchDocument,
    LifecycleStage,
    Organisation,
    Tag,
    Transaction,
    User,
    customer_tags,
)
from models.name_readings import sort_key
from workflows.customers import sales_rollups
from workflows.customers.organisations import name_key
from workflows.customers.search_index import MAX_COMMUNICATION_CHARS, phone_digits

SEARCH_WORD = "zephyrine"
SEARCH_SHARE = 0.01
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHUNK = 5_000
TRGM_INDEX = "ix_customer_search_documents_trgm"
REQUIREMENT_TRGM_INDEX = "ix_requirement_search_documents_trgm"

FIRST = [
    "Ana",
    "Bruno",
    "Carla",
    "Daniel",
    "Elena",
    "Felipe",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Klara",
    "Lukas",
    "Marta",
    "Nils",
    "Olga",
    "Paulo",
    "Quinn",
    "Rosa",
    "Stefan",
    "Tania",
    "Ugo",
    "Vera",
    "Walter",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Amir",
    "Bea",
    "Chen",
    "Dara",
    "Emil",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Julia",
    "Kenji",
    "Lea",
    "Mateo",
    "Nora",
    "Omar",
    "Petra",
    "Rafael",
    "Sara",
    "Tomas",
    "Ulla",
]
LAST = [
    "Lima",
    "Silva",
    "Costa",
    "Dias",
    "Evans",
    "Fischer",
    "Garcia",
    "Horvat",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Meyer",
    "Novak",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urban",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Almeida",
    "Becker",
    "Castro",
    "Duarte",
    "Eriksen",
    "Ferreira",
    "Gomes",
    "Hoffmann",
    "Ito",
    "Jovanovic",
    "Keller",
    "Larsen",
    "Moreau",
    "Nielsen",
    "Oliveira",
    "Pereira",
    "Ramos",
    "Santos",
    "Teixeira",
    "Vogel",
    "Wagner",
    "Young",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "te",
    "vo",
    "pa",
    "di",
    "gu",
    "ber",
    "tan",
    "mol",
    "rin",
    "sel",
    "dor",
    "fen",
    "lak",
    "pim",
    "qua",
    "cor",
]
SUFFIXES = ("GmbH", "Lda", "Ltd", "AG", "SA")
CHANNELS = ("visit", "call", "meeting", "email", "sms", "note")
DIRECTIONS = ("inbound", "outbound", "internal")
TAGS = [f"{w}{i}" for i, w in enumerate(["vip", "berlin", "lisbon", "promo", "b2b", "trial"] * 5)]


def _vocabulary(rng: random.Random, size: int = 2_000) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Seeder:
    def __init__(self, conn: Connection, customers: int, comms_per: int, tx_per: float) -> None:
        self.conn = conn
        self.total = customers
        self.comms_per = comms_per
        self.tx_per = tx_per
        self.rng = random.Random(42)
        self.words = _vocabulary(self.rng)
        self.last_communication_id = 0
        self.timings: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def sentence(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(self.words, k=self.rng.randint(low, high))).capitalize()

    def insert(self, label: str, table: Any, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        if self.conn.dialect.name == "postgresql":
            self._copy(table, rows)
        else:
            self.conn.execute(insert(table), rows)
        self.timings[label] += time.perf_counter() - started
        self.counts[label] += len(rows)

    def _copy(self, table: Any, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL COPY: ~10x faster than executemany INSERTs."""
        columns = list(rows[0])
        json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
        cursor = self.conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [json.dumps(row[c]) if c in json_columns else row[c] for c in columns]
                )

    def reference_data(self) -> tuple[list[int], list[int], list[int], list[tuple[int, str]]]:
        started = time.perf_counter()
        users = [
            {
                "id": 1000 + i,
                "email": f"bench-agent-{i}@example.com",
                "name": f"Bench Agent {i}",
                "password_hash": "!",  # cannot sign in
                "role": "agent",
                "time_zone": "UTC",
                "is_active": True,
                "created_at": NOW,
                "version": 1,
            }
            for i in range(20)
        ]
        self.insert("users", User.__table__, users)
        names = [
            f"{self.rng.choice(LAST)} {self.rng.choice(SUFFIXES)} {i}" for i in range(1, 5_001)
        ]
        orgs = [
            {
                "id": i,
                "name": name,
                "name_key": name_key(name),  # what the organisation search compares
                "custom": {},
                "created_at": NOW,
                "updated_at": NOW,
                "version": 1,
            }
            for i, name in enumerate(names, 1)
        ]
        self.insert("organisations", Organisation.__table__, orgs)
        tag_rows = [{"id": i, "name": name} for i, name in enumerate(TAGS, 1)]
        self.insert("tags", Tag.__table__, tag_rows)
        stages = list(self.conn.scalars(select(LifecycleStage.id)))
        self.timings["reference data"] = time.perf_counter() - started
        return (
            [u["id"] for u in users],
            stages,
            [t["id"] for t in tag_rows],
            [(o["id"], o["name"]) for o in orgs],
        )

    def run(self) -> None:
        users, stages, tag_ids, orgs = self.reference_data()
        tag_names = dict(zip(tag_ids, TAGS, strict=True))
        comm_id = tx_id = email_id = phone_id = 0
        for start in range(1, self.total + 1, CHUNK):
            gen_started = time.perf_counter()
            customers, emails, phones, tags, comms, txs, docs = [], [], [], [], [], [], []
            for cid in range(start, min(start + CHUNK, self.total + 1)):
                rng = self.rng
                first, last = rng.choice(FIRST), rng.choice(LAST)
                name = f"{first} {last}"
                email = f"{first}.{last}.{cid}@example.com".lower()
                org = rng.choice(orgs) if rng.random() < 0.6 else None
                created = NOW - timedelta(days=rng.uniform(0, 1_000))
                notes = None
                if rng.random() < SEARCH_SHARE:
                    notes = f"{self.sentence(3, 8)} {SEARCH_WORD} {self.sentence(2, 6)}."
                elif rng.random() < 0.3:
                    notes = self.sentence(5, 15) + "."
                my_tags = rng.sample(tag_ids, rng.choice((0, 0, 1, 1, 2, 3)))
                doc = [name, email]
                email_id += 1
                emails.append(
                    {"id": email_id, "customer_id": cid, "email": email, "is_primary": True}
                )
                if rng.random() < 0.7:
                    phone_id += 1
                    e164 = f"+49151{rng.randrange(10**7, 10**8)}"
                    phones.append({"id": phone_id, "customer_id": cid, "e164": e164})
                    doc += phone_digits(e164)
                if org:
                    doc.append(org[1])
                doc += [tag_names[t] for t in my_tags]
                if notes:
                    doc.append(notes)
                tags += [{"customer_id": cid, "tag_id": t} for t in my_tags]
                my_comms = []
                n = rng.randint(0, 2 * self.comms_per)
                for _ in range(n):
                    comm_id += 1
                    when = created + (NOW - created) * rng.random()
                    body = self.sentence(8, 20) + "."
                    my_comms.append(
                        {
                            "id": comm_id,
                            "customer_id": cid,
                            "channel": rng.choice(CHANNELS),
                            "direction": rng.choice(DIRECTIONS),
                            "occurred_at": when,
                            "duration_seconds": rng.randint(60, 3600),
                            "subject": self.sentence(2, 5),
                            "body_html": f"<p>{html.escape(body)}</p>",
                            "body_text": body,
                            "author_id": rng.choice(users),
                            "participants": [],
                            "created_at": when,
                            "updated_at": when,
                            "version": 1,
                        }
                    )
                my_comms.sort(key=lambda c: c["occurred_at"], reverse=True)
                used = 0
                for c in my_comms:
                    part = f"{c['subject']} {c['body_text']}"
                    if used + len(part) > MAX_COMMUNICATION_CHARS:
                        break
                    doc.append(part)
                    used += len(part)
                comms += my_comms
                for _ in range(int(self.tx_per) + (rng.random() < self.tx_per % 1)):
                    tx_id += 1
                    kind = rng.choice(("order", "order", "invoice", "payment", "refund"))
                    txs.append(
                        {
                            "id": tx_id,
                            "customer_id": cid,
                            "kind": kind,
                            "status": "completed",
                            "amount": Decimal(rng.randint(100, 500_000)) / 100,
                            "currency": rng.choice(("EUR", "EUR", "USD", "GBP")),
                            "occurred_on": date(2026, 1, 1) + timedelta(days=rng.randint(0, 300)),
                            "reference": f"T-{tx_id}",
                            "created_at": NOW,
                            "updated_at": NOW,
                            "version": 1,
                        }
                    )
                customers.append(
                    {
                        "id": cid,
                        "name": name,
                        "name_sort": sort_key(name),  # COPY on PostgreSQL skips the default
                        "primary_email": email,
                        "organisation_id": org[0] if org else None,
                        "owner_id": rng.choice(users),
                        "stage_id": rng.choice(stages),
                        "time_zone": "Europe/Berlin",
                        "language": "de",
                        "country": "DE",
                        "notes": notes,
                        "custom": {},
                        "created_at": created,
                        "updated_at": created,
                        "last_contacted_at": my_comms[0]["occurred_at"] if my_comms else None,
                        "version": 1,
                    }
                )
                docs.append({"customer_id": cid, "document": "\n".join(doc), "updated_at": NOW})
            self.timings["generating rows (Python)"] += time.perf_counter() - gen_started
            self.insert("customers", Customer.__table__, customers)
            self.insert("customer emails", CustomerEmail.__table__, emails)
            self.insert("customer phones", CustomerPhone.__table__, phones)
            self.insert("customer tags", customer_tags, tags)
            self.insert(
                "search documents (+ FTS5 on SQLite)", CustomerSearchDocument.__table__, docs
            )
            self.insert("communications", Communication.__table__, comms)
            self.insert("transactions", Transaction.__table__, txs)
            self.conn.commit()
            print(f"  {cid:>7} customers, {comm_id:>8} communications", file=sys.stderr)
        self.last_communication_id = comm_id


def _fix_sequences(conn: Connection) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the data."""
    for table in (
        "users",
        "organisations",
        "tags",
        "customers",
        "customer_emails",
        "customer_phones",
        "communications",
        "transactions",
        "teams",
        "requirements",
        "requirement_events",
        "sla_clocks",
        "timers",
        "calendars",
        "sla_policies",
        "sla_policy_versions",
    ):
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--communications-per-customer", type=int, default=10)
    parser.add_argument("--transactions-per-customer", type=float, default=3.0)
    parser.add_argument(
        "--requirements",
        type=int,
        default=0,
        help="also seed this many requirements (100000 for the issue-11 profile), see "
        "bench/seed_requirements.py",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL (and run `flask --app web db upgrade` against it first).")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Bulk load: a crash means re-seeding anyway.
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA synchronous=OFF")
            dbapi_conn.execute("PRAGMA cache_size=-200000")

    started = time.perf_counter()
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(Customer.__table__)):
            sys.exit("The database already has customers; seed an empty one.")
        seeder = Seeder(
            conn, args.customers, args.communications_per_customer, args.transactions_per_customer
        )
        if engine.dialect.name == "postgresql":
            # Building the trigram index once at the end is several times faster than
            # maintaining it row by row; same definition as the migration.
            conn.execute(text(f"DROP INDEX {TRGM_INDEX}"))
            conn.execute(text(f"DROP INDEX {REQUIREMENT_TRGM_INDEX}"))
            conn.commit()
        seeder.run()
        if args.requirements:
            RequirementSeeder(
                seeder.insert,
                conn,
                customers=args.customers,
                total=args.requirements,
                now=NOW,
                sentence=seeder.sentence,
                first_communication_id=seeder.last_communication_id,
            ).run()
        rollups_started = time.perf_counter()
        # The sales report's rollups, as the workflows keep them for each write.
        sales_rollups.rebuild(Session(bind=conn))
        conn.commit()
        seeder.timings["sales rollups"] = time.perf_counter() - rollups_started
        if engine.dialect.name == "postgresql":
            index_started = time.perf_counter()
            conn.execute(text("SET maintenance_work_mem = '1GB'"))
            conn.execute(
                text(
                    f"CREATE INDEX {TRGM_INDEX} ON customer_search_documents "
                    "USING gin (document gin_trgm_ops)"
                )
            )
            conn.execute(
                text(
                    f"CREATE INDEX {REQUIREMENT_TRGM_INDEX} ON requirement_search_documents "
                    "USING gin (document gin_trgm_ops)"
                )
            )
            conn.commit()
            seeder.timings["trigram index (PostgreSQL)"] = time.perf_counter() - index_started
        analyse_started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            _fix_sequences(conn)
            conn.commit()
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
        seeder.timings["analyze"] = time.perf_counter() - analyse_started
    total = time.perf_counter() - started
    print(f"database: {engine.dialect.name}")
    for label, seconds in seeder.timings.items():
        count = seeder.counts.get(label)
        rows = f"{count:>10,} rows" if count else " " * 15
        print(f"{label:<36} {rows} {seconds:8.1f} s")
    print(f"{'total':<36} {'':15} {total:8.1f} s")


if __name__ == "__main__":
    main()
