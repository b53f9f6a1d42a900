"""The queues' creation-date and category filters: whole days in the viewer's zone, read the
way the support report reads its range (its drill-down links land here), every state with
"any, done ones too", a clear message for a bad date, and saved views that keep them."""

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from flask import Flask

from models import Role
from tests.conftest import csrf_token
from tests.integration.test_customer_pages import text_of
from tests.integration.test_requirement_pages import World, row_ids
from web.requirements import queries, queues
from workflows.platform.clock import ManualClock

# New York is UTC-5 in January: its 4 and 5 January run from 05:00 UTC on the 4th to 05:00
# UTC on the 6th.
EVENING_BEFORE = datetime(2099, 1, 4, 3, 0, tzinfo=UTC)  # 3 Jan, 22:00 in New York
FIRST_MORNING = datetime(2099, 1, 4, 5, 30, tzinfo=UTC)  # 4 Jan, 00:30
LAST_EVENING = datetime(2099, 1, 6, 4, 30, tzinfo=UTC)  # 5 Jan, 23:30
NEXT_MORNING = datetime(2099, 1, 6, 5, 30, tzinfo=UTC)  # 6 Jan, 00:30
RANGE = {"created_from": "2099-01-04", "created_to": "2099-01-05"}


@pytest.fixture
def world(app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    clock = ManualClock(EVENING_BEFORE)
    monkeypatch.setitem(app.extensions, "clock", clock)
    users = {
        "agent": make_user(Role.AGENT, name="Alma Agent"),
        "colleague": make_user(Role.AGENT, name="Carl Colleague"),
        "outsider": make_user(Role.AGENT, name="Otto Outsider"),
        "lead": make_user(Role.SUPERVISOR, name="Lena Lead", time_zone="America/New_York"),
    }
    return World(app, clock, users)


def _opened_at(world: World, instant: datetime, title: str, **kw: Any) -> int:
    world.clock.set(instant)
    return world.open(title, **kw)


def _queue(world: World, **args: str) -> tuple[int, str]:
    response = world.client("lead").get("/requirements", query_string={"queue": "all", **args})
    return response.status_code, text_of(response)


def test_created_range_is_whole_days_in_the_viewers_zone_and_any_state_lists_done_ones(
    world: World,
) -> None:
    before = _opened_at(world, EVENING_BEFORE, "Evening before")
    first = _opened_at(world, FIRST_MORNING, "First morning", assignee_id=world.users["agent"].id)
    last = _opened_at(world, LAST_EVENING, "Last evening")
    after = _opened_at(world, NEXT_MORNING, "Next morning")
    world.fire(first, "assign", "resolve", note="Fixed")

    status, page = _queue(world, **RANGE, state="any")
    assert status == 200
    assert row_ids(page) == [last, first]  # every state: newest first
    assert 'data-total="2"' in page and "2 requirements match these filters." in page
    assert "whole days in America/New_York" in page
    assert "<h1>All requirements</h1>" in page  # not only the open ones
    # Without "any", the queue keeps to the open states: the resolved one is left out.
    assert row_ids(_queue(world, **RANGE)[1]) == [last]
    # One bound alone: open-ended on the other side.
    assert sorted(row_ids(_queue(world, created_from="2099-01-05", state="any")[1])) == [
        last,
        after,
    ]
    assert sorted(row_ids(_queue(world, created_to="2099-01-03", state="any")[1])) == [before]
    # A report in another zone links with its zone: the same days in UTC.
    utc = _queue(world, **RANGE, state="any", time_zone="UTC")[1]
    assert sorted(row_ids(utc)) == [before, first]
    assert 'name="time_zone" value="UTC"' in utc  # the form keeps it


def test_category_filter_keeps_one_category(world: World) -> None:
    billing = world.open("Invoice twice", category="billing")
    world.open("Broken screen", category="hardware")
    world.open("No category")
    status, page = _queue(world, category="billing")
    assert status == 200
    assert row_ids(page) == [billing]
    assert 'id="filter-category" value="billing"' in page
    assert "1 requirement matches these filters." in page


def test_a_bad_date_or_a_reversed_range_is_named_on_the_page(world: World) -> None:
    world.open("Printer on fire")
    status, page = _queue(world, created_from="2099-02-30", created_to="soon")
    assert status == 422
    assert row_ids(page) == []
    assert 'id="filter-errors"' in page and "Enter a date as YYYY-MM-DD." in page
    assert 'id="filter-created-from" value="2099-02-30"' in page
    assert 'aria-invalid="true" aria-describedby="error-created-to"' in page

    status, page = _queue(world, created_from="2099-01-06", created_to="2099-01-04")
    assert status == 422
    assert "Created until: The end comes before the start." in page

    status, page = _queue(world, **RANGE, time_zone="Mars/Olympus")
    assert status == 422
    assert "is not an IANA time zone" in page


def test_a_saved_view_and_the_page_links_keep_the_new_filters(world: World) -> None:
    wanted = _opened_at(world, FIRST_MORNING, "Invoice twice", category="billing")
    _opened_at(world, FIRST_MORNING, "Broken screen", category="hardware")
    _opened_at(world, NEXT_MORNING, "Invoice again", category="billing")
    lead = world.client("lead")
    filters = {**RANGE, "category": "billing", "state": "any"}
    token = csrf_token(lead, "/requirements?queue=all")
    saved = lead.post(
        "/requirements/views",
        data={"csrf_token": token, "name": "Billing", "queue": "all", **filters},
    )
    assert saved.status_code == 303
    location = saved.headers["Location"]
    for key, value in filters.items():
        assert f"{key}={value}" in location
    opened = lead.get(location)
    assert row_ids(text_of(opened)) == [wanted]
    # The saved-view menu and the save form carry them too.
    page = text_of(lead.get("/requirements", query_string={"queue": "all", **filters}))
    assert '<input type="hidden" name="created_from" value="2099-01-04">' in page
    assert '<input type="hidden" name="category" value="billing">' in page


def test_the_support_reports_created_counts_link_to_the_queue_listing_them(world: World) -> None:
    _opened_at(world, EVENING_BEFORE, "Evening before", category="billing")
    first = _opened_at(
        world,
        FIRST_MORNING,
        "First morning",
        category="billing",
        assignee_id=world.users["agent"].id,
    )
    last = _opened_at(world, LAST_EVENING, "Last evening", category="billing")
    _opened_at(world, LAST_EVENING, "Other category", category="hardware")
    _opened_at(world, NEXT_MORNING, "Next morning", category="billing")
    world.fire(first, "assign", "resolve", note="Fixed")
    lead = world.client("lead")
    report = {"start": "2099-01-04", "end": "2099-01-05", "category": "billing"}
    page = text_of(lead.get("/reports/support", query_string=report))
    total = re.search(r'<a href="([^"]+)" id="created-total"[^>]*>(\d+)</a>', page)
    assert total and total.group(2) == "2"
    listed = text_of(lead.get(unescape(total.group(1))))
    assert sorted(row_ids(listed)) == [first, last]
    agents = re.findall(r'<a href="([^"]+)" data-drilldown="agents">(\d+)</a>', page)
    assert [count for _, count in agents] == ["1", "1"]  # the agent's and the unassigned one
    by_agent = {tuple(row_ids(text_of(lead.get(unescape(url))))) for url, _ in agents}
    assert by_agent == {(first,), (last,)}
    [team_url] = re.findall(r'<a href="([^"]+)" data-drilldown="teams">2</a>', page)
    assert sorted(row_ids(text_of(lead.get(unescape(team_url))))) == [first, last]

    # The queues have no SLA-policy filter: with one chosen, the counts link nowhere.
    page = text_of(lead.get("/reports/support", query_string={**report, "sla_policy_id": "1"}))
    assert 'id="created-total"' not in page and "data-drilldown" not in page


def test_the_next_page_keeps_the_created_range_and_the_category(world: World) -> None:
    world.clock.set(FIRST_MORNING)
    for n in range(26):
        world.open(f"Invoice {n}", category="billing")
    filters = {**RANGE, "category": "billing", "state": "any"}
    status, page = _queue(world, **filters)
    assert status == 200 and len(row_ids(page)) == 25
    assert "26 requirements match these filters." in page
    [next_url] = re.findall(r'<a href="([^"]+)" id="next-page"', page)
    for key, value in filters.items():
        assert f"{key}={value}" in unescape(next_url)
    second = text_of(world.client("lead").get(unescape(next_url)))
    assert len(row_ids(second)) == 1


def test_a_large_match_is_counted_up_to_the_cap(world: World, monkeypatch: Any) -> None:
    """The total of a filtered queue longer than a page is counted, but only up to the cap:
    beyond it the page says "more than" (a filter matching most of 100,000 stays cheap)."""
    for n, instant in enumerate((FIRST_MORNING, LAST_EVENING, LAST_EVENING, LAST_EVENING)):
        _opened_at(world, instant, f"Requirement {n}")
    monkeypatch.setattr(queues, "PAGE_SIZE", 1)
    status, page = _queue(world, **RANGE)
    assert status == 200 and 'data-total="4"' in page
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    page = _queue(world, **RANGE)[1]
    assert "data-total" not in page and 'data-more-than="3"' in page
    assert "More than 3 requirements match these filters." in page
    monkeypatch.setattr(queries, "COUNT_CAP", 4)  # exactly the cap: still exact
    assert 'data-total="4"' in _queue(world, **RANGE)[1]
