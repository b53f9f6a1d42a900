"""Each requirement queue walks its index in ORDER BY order and stops after a page: SQLite's
plan for the queue's statement names the queue's index and no temporary B-tree for sorting
(migration c4a8e2f61d07). The order itself is tested with the pages (test_requirement_pages)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from models import Role
from tests.integration.test_requirement_pages import START, World
from web.extensions import db
from workflows.platform.clock import ManualClock

# A supervisor who is not an admin reads through the read policy's OR (no team, my teams, mine):
# without planner statistics SQLite then prefers one index per OR branch and sorts; with them
# (the seeded 100k database, `bench.profile`) it walks ix_requirements_queue_all too.
QUEUES = [("agent", "mine"), ("agent", "team"), ("lead", "team"), ("admin", "all")]


@contextmanager
def captured(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, sql: str, params: Any, *args: Any) -> None:
        statements.append((sql, params))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", keep)


@pytest.fixture
def world(app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans by its statistics")
    clock = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", clock)
    users = {
        "agent": make_user(Role.AGENT, name="Alma Agent"),
        "colleague": make_user(Role.AGENT, name="Carl Colleague"),
        "outsider": make_user(Role.AGENT, name="Otto Outsider"),
        "lead": make_user(Role.SUPERVISOR, name="Lena Lead"),
        "admin": make_user(Role.ADMIN, name="Ada Admin"),
    }
    world = World(app, clock, users)
    world.policy({"normal": {"first_response": 600, "resolution": 3600}})
    world.open("Assigned", assignee_id=users["agent"].id)
    world.open("Unassigned")
    return world


@pytest.mark.parametrize(("who", "queue"), QUEUES)
def test_each_queue_walks_its_index_without_sorting(world: World, who: str, queue: str) -> None:
    client = world.client(who)
    with captured(world.app) as statements:
        response = client.get(f"/requirements?queue={queue}")
    assert response.status_code == 200
    [(sql, params)] = [
        (sql, params)
        for sql, params in statements
        if sql.lstrip().startswith("SELECT requirements.id") and "ORDER BY" in sql
    ]
    with world.app.app_context():
        cursor = db.engine.raw_connection().cursor()
        plan = [row[3] for row in cursor.execute("EXPLAIN QUERY PLAN " + sql, params)]
    assert any(f"USING INDEX ix_requirements_queue_{queue}" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
