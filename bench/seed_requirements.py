"""Seeds requirements beside `bench.seed`'s customers: teams with agents and a supervisor each,
one 24/7 calendar and SLA policy, and N requirements with ~9 events, their SLA clocks, a
linked inbound communication and a search document each.

Shape (deterministic): ~10 % active (new, open, in progress, waiting on customer; or a sales
lead still open), the rest resolved, closed, cancelled, won or lost. Of the active ones about a
third have a breached resolution clock (the backlog the escalation queue shows) and a few more
are past their warning. About 1 % carry SEARCH_WORD, half in the title and half only in the
linked communication's text."""

import html
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from models import (
    Calendar,
    Communication,
    Requirement,
    RequirementEvent,
    RequirementSearchDocument,
    SlaClock,
    SlaPolicy,
    SlaPolicyVersion,
    Team,
    TeamMembership,
    Timer,
    User,
)
from workflows.tracking.requirements import DONE_STATES

SEARCH_WORD = "quasarite"
TEAMS = 5
AGENTS_PER_TEAM = 4  # the seeded agents bench-agent-0 … 19 (ids 1000 …)
SUPERVISOR_ID = 1100  # bench-supervisor-0 … 4, one per team
FIRST_RESPONSE = 4 * 3600
RESOLUTION = 2 * 86400
CHUNK = 5_000

SUPPORT_PATH = [
    ("open", None, "new"),
    ("assign", "new", "open"),
    ("start", "open", "in_progress"),
    ("ask_customer", "in_progress", "waiting_on_customer"),
    ("customer_replied", "waiting_on_customer", "open"),
    ("start", "open", "in_progress"),
    ("ask_customer", "in_progress", "waiting_on_customer"),
    ("customer_replied", "waiting_on_customer", "open"),
    ("resolve", "open", "resolved"),
    ("close", "resolved", "closed"),
]
SALES_PATH = [
    ("open", None, "lead"),
    ("qualify", "lead", "qualified"),
    ("propose", "qualified", "proposal"),
    ("negotiate", "proposal", "negotiation"),
    ("win", "negotiation", "won"),
]
SUPPORT_ACTIVE = {"new", "open", "in_progress", "waiting_on_customer"}
SALES_ACTIVE = {"lead", "qualified", "proposal", "negotiation"}


class RequirementSeeder:
    def __init__(
        self,
        insert: Callable[[str, Any, list[dict[str, Any]]], None],
        conn: Any,
        *,
        customers: int,
        total: int,
        now: datetime,
        sentence: Callable[[int, int], str],
        first_communication_id: int,
    ) -> None:
        self.insert = insert
        self.conn = conn
        self.customers = customers
        self.total = total
        self.now = now
        self.sentence = sentence
        self.rng = random.Random(7)
        self.comm_id = first_communication_id

    def reference_data(self) -> dict[int, list[int]]:
        now = self.now
        self.insert(
            "users",
            User.__table__,
            [
                {
                    "id": SUPERVISOR_ID + t,
                    "email": f"bench-supervisor-{t}@example.com",
                    "name": f"Bench Supervisor {t}",
                    "password_hash": "!",
                    "role": "supervisor",
                    "time_zone": "UTC",
                    "is_active": True,
                    "created_at": now,
                    "version": 1,
                }
                for t in range(TEAMS)
            ],
        )
        teams = [{"id": t, "name": f"Bench team {t}", "created_at": now} for t in range(1, 6)]
        self.insert("teams", Team.__table__, teams)
        members: dict[int, list[int]] = {}
        rows = []
        for t in range(1, TEAMS + 1):
            agents = [1000 + (t - 1) * AGENTS_PER_TEAM + i for i in range(AGENTS_PER_TEAM)]
            members[t] = agents
            rows += [{"team_id": t, "user_id": a, "is_supervisor": False} for a in agents]
            rows.append({"team_id": t, "user_id": SUPERVISOR_ID + t - 1, "is_supervisor": True})
        self.insert("team memberships", TeamMembership.__table__, rows)
        self.insert(
            "SLA set-up",
            Calendar.__table__,
            [
                {
                    "id": 1,
                    "name": "Bench 24/7",
                    "time_zone": "UTC",
                    "periods": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
                    "quiet_hours": [],
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            ],
        )
        policy = {
            "id": 1,
            "name": "Bench default",
            "position": 0,
            "active": True,
            "match": {},
            "current_version_id": None,
            "recompute": None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        self.insert("SLA set-up", SlaPolicy.__table__, [policy])
        targets = {"first_response": FIRST_RESPONSE, "resolution": RESOLUTION}
        self.insert(
            "SLA set-up",
            SlaPolicyVersion.__table__,
            [
                {
                    "id": 1,
                    "policy_id": 1,
                    "number": 1,
                    "calendar_id": 1,
                    "targets": {p: targets for p in ("low", "normal", "high", "urgent", "default")},
                    "warning_percent": 80,
                    "pause_states": {},
                    "ladder": [
                        {"at": "breach", "value": 0, "recipients": ["assignee"], "actions": []}
                    ],
                    "follow_up_seconds": None,
                    "created_at": now,
                    "created_by_id": None,
                }
            ],
        )
        self.conn.execute(update(SlaPolicy.__table__).values(current_version_id=1))
        self.conn.commit()
        return members

    def run(self) -> None:
        members = self.reference_data()
        rng = self.rng
        event_id = clock_id = timer_id = 0
        for start in range(1, self.total + 1, CHUNK):
            reqs, events, clocks, timers, comms, docs = [], [], [], [], [], []
            for rid in range(start, min(start + CHUNK, self.total + 1)):
                sales = rng.random() < 0.1
                path = SALES_PATH if sales else SUPPORT_PATH
                roll = rng.random()
                active = roll < 0.10
                if active:
                    steps = rng.randint(1, 8 if not sales else 4)
                    age = timedelta(hours=rng.uniform(0.5, 72))
                else:
                    steps = len(path)
                    age = timedelta(days=rng.uniform(3, 365))
                path = path[:steps]
                state = path[-1][2]
                if not active and not sales and roll > 0.95:
                    state = "cancelled"
                    path = [*path[:4], ("cancel", path[3][2], "cancelled")]
                elif not active and not sales and roll > 0.75:
                    path = path[:-1]  # resolved, not closed yet
                    state = "resolved"
                elif not active and sales and roll > 0.6:
                    path = [*path[:-1], ("lose", "negotiation", "lost")]
                    state = "lost"
                created = self.now - age
                team = rng.randint(1, TEAMS)
                assignee = (
                    None
                    if state in ("new", "lead") or rng.random() < 0.03
                    else rng.choice(members[team])
                )
                customer_id = rng.randint(1, self.customers)
                marked = rng.random() < 0.01
                title = self.sentence(3, 7)
                if marked and rid % 2:
                    title = f"{title} {SEARCH_WORD}"
                description = self.sentence(10, 30) + "."
                body = self.sentence(10, 25) + "."
                if marked and not rid % 2:
                    body = f"{body} {SEARCH_WORD} {self.sentence(2, 5)}."
                # Events spread over the requirement's life so far.
                span = (age if active else min(age, timedelta(days=3))).total_seconds()
                when = created
                for n, (trigger, before, after) in enumerate(path):
                    event_id += 1
                    if n:
                        when = when + timedelta(seconds=span / len(path) * rng.uniform(0.5, 1))
                    events.append(
                        {
                            "id": event_id,
                            "requirement_id": rid,
                            "at": when,
                            "actor_id": assignee if n else None,
                            "timer_id": None,
                            "trigger": trigger,
                            "from_state": before,
                            "to_state": after,
                            "note": "Done." if trigger == "resolve" else None,
                        }
                    )
                resolved_at = when if state in ("resolved", "closed", "won", "lost") else None
                self.comm_id += 1
                comms.append(
                    {
                        "id": self.comm_id,
                        "customer_id": customer_id,
                        "requirement_id": rid,
                        "channel": "email",
                        "direction": "inbound",
                        "occurred_at": created,
                        "duration_seconds": None,
                        "subject": title,
                        "body_html": f"<p>{html.escape(body)}</p>",
                        "body_text": body,
                        "author_id": None,
                        "participants": [],
                        "created_at": created,
                        "updated_at": created,
                        "version": 1,
                    }
                )
                # Clocks: first response and resolution.
                due_at = None
                for metric, target in (
                    ("first_response", FIRST_RESPONSE),
                    ("resolution", RESOLUTION),
                ):
                    clock_id += 1
                    row = {
                        "id": clock_id,
                        "requirement_id": rid,
                        "policy_version_id": 1,
                        "metric": metric,
                        "cycle": 1,
                        "status": "met",
                        "target_seconds": target,
                        "used_seconds": 0,
                        "started_at": created,
                        "running_since": None,
                        "due_at": created + timedelta(seconds=target),
                        "warning_at": created + timedelta(seconds=target * 0.8),
                        "warned_at": None,
                        "met_at": None,
                        "breached_at": None,
                        "rung": 0,
                        "acknowledged_rung": 0,
                        "acknowledged_at": None,
                        "acknowledged_by_id": None,
                        "plan_seq": 1,
                        "history": [
                            {"at": created.isoformat(), "what": "started", "why": "opened"}
                        ],
                    }
                    responded = len(path) > 2 or not active
                    if not active or (metric == "first_response" and responded):
                        row["status"] = "cancelled" if state == "cancelled" else "met"
                        row["met_at"] = min(self.now, row["due_at"] - timedelta(minutes=5))
                        row["used_seconds"] = target // 2
                    elif state == "waiting_on_customer" and metric == "resolution":
                        row.update(
                            status="paused",
                            running_since=None,
                            due_at=None,
                            used_seconds=int(age.total_seconds() * 0.5),
                        )
                    else:
                        row["status"] = "running"
                        row["running_since"] = created
                        if row["due_at"] <= self.now:
                            row.update(status="breached", breached_at=row["due_at"], rung=1)
                            if rng.random() < 0.2:
                                row.update(acknowledged_rung=1, acknowledged_at=row["due_at"])
                        elif row["warning_at"] <= self.now:
                            row["warned_at"] = row["warning_at"]
                        if row["status"] == "running":
                            timer_id += 1
                            timers.append(
                                {
                                    "id": timer_id,
                                    "requirement_id": rid,
                                    "kind": f"{metric}:breach",
                                    "trigger": None,
                                    "expected_state": state,
                                    "state_seq": len(path) - 1,
                                    "generation": 1,
                                    "sla_clock_id": clock_id,
                                    "due_at": row["due_at"],
                                    "status": "pending",
                                    "lease_until": None,
                                    "attempts": 0,
                                    "fired_at": None,
                                    "last_error": None,
                                }
                            )
                        if row["due_at"] is not None:
                            due_at = row["due_at"] if due_at is None else min(due_at, row["due_at"])
                    clocks.append(row)
                reqs.append(
                    {
                        "id": rid,
                        "customer_id": customer_id,
                        "title": title,
                        "description": description,
                        "category": None,
                        "priority": rng.choice(("low", "normal", "normal", "high", "urgent")),
                        "origin_channel": "email",
                        "assignee_id": assignee,
                        "team_id": team,
                        "tags": [],
                        "workflow": "sales" if sales else "support",
                        "state": state,
                        "state_seq": len(path) - 1,
                        "resolution_note": "Done." if resolved_at else None,
                        "merged_into_id": None,
                        "extra": {},
                        "created_at": created,
                        "updated_at": when,
                        "resolved_at": resolved_at,
                        # As `requirements._record` sets them with each event.
                        "was_resolved": any(
                            after in DONE_STATES and before != after for _, before, after in path
                        ),
                        "was_reopened": any(trigger == "reopen" for trigger, _, _ in path),
                        "sla_policy_version_id": 1,
                        "sla_due_at": due_at,
                        "timer_seq": 1,
                        "follow_up_seq": 0,
                        "version": 1,
                    }
                )
                docs.append(
                    {
                        "requirement_id": rid,
                        "document": "\n".join([title, description, f"{title} {body}"]),
                        "updated_at": when,
                    }
                )
            started = time.perf_counter()
            self.insert("requirements", Requirement.__table__, reqs)
            self.insert("requirement events", RequirementEvent.__table__, events)
            self.insert("SLA clocks", SlaClock.__table__, clocks)
            self.insert("timers", Timer.__table__, timers)
            self.insert("requirement communications", Communication.__table__, comms)
            self.insert(
                "requirement search documents (+ FTS5 on SQLite)",
                RequirementSearchDocument.__table__,
                docs,
            )
            self.conn.commit()
            del started
            print(f"  {rid:>7} requirements, {event_id:>8} events", file=sys.stderr)
