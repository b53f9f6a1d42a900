"""Breach causes by rule, and local days and offsets of a report range."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from workflows.analytics.ranges import DayRange
from workflows.tracking import breach_causes
from workflows.tracking.business_time import BusinessCalendar, OpeningPeriod

OFFICE = BusinessCalendar(
    "Europe/Berlin", tuple(OpeningPeriod(d, time(9), time(17)) for d in range(5))
)
MONDAY_10 = datetime(2099, 3, 2, 9, tzinfo=UTC)  # 10:00 in Berlin


def _classify(**overrides: object) -> str:
    facts = {
        "history": [],
        "metric": "first_response",
        "cycle": 1,
        "started_at": MONDAY_10,
        "breached_at": MONDAY_10 + timedelta(hours=4),
        "calendar": OFFICE,
        "left_new_at": MONDAY_10 + timedelta(minutes=5),
        "was_new_at_start": True,
        "waited_on_customer": False,
        **overrides,
    }
    return breach_causes.classify(**facts)


@pytest.mark.parametrize(
    ("overrides", "cause"),
    [
        ({}, "other"),
        (
            {"history": [{"what": "re-planned"}], "cycle": 2, "metric": "resolution"},
            "policy_changed",
        ),
        ({"cycle": 2, "metric": "resolution"}, "reopened"),
        ({"cycle": 2}, "other"),  # only resolution clocks restart on reopen
        ({"started_at": datetime(2099, 3, 2, 17, tzinfo=UTC)}, "outside_hours"),  # 18:00
        ({"started_at": datetime(2099, 3, 7, 10, tzinfo=UTC)}, "outside_hours"),  # Saturday
        ({"left_new_at": MONDAY_10 + timedelta(hours=2, minutes=1)}, "waited_unassigned"),
        ({"left_new_at": MONDAY_10 + timedelta(hours=2)}, "other"),  # exactly half: not more
        ({"left_new_at": None}, "waited_unassigned"),
        ({"left_new_at": None, "was_new_at_start": False}, "other"),
        ({"waited_on_customer": True}, "waiting_on_customer"),
        ({"left_new_at": None, "waited_on_customer": True}, "waited_unassigned"),  # rule order
    ],
)
def test_breach_cause_rules(overrides: dict[str, object], cause: str):
    assert _classify(**overrides) == cause


def test_breach_cause_from_events_skips_sla_notes():
    events = [
        (MONDAY_10, None, "new"),
        (MONDAY_10 + timedelta(minutes=1), "new", "new"),  # an SLA note, not a transition
        (MONDAY_10 + timedelta(minutes=2), "new", "open"),
        (MONDAY_10 + timedelta(minutes=3), "open", "waiting_on_customer"),
    ]
    cause = breach_causes.classify_events(
        history=[],
        metric="first_response",
        cycle=1,
        started_at=MONDAY_10,
        breached_at=MONDAY_10 + timedelta(hours=1),
        calendar=OFFICE,
        events=events,
    )
    assert cause == "waiting_on_customer"


def test_offsets_of_a_range_across_both_dst_changes():
    year = DayRange(date(2099, 1, 1), date(2099, 12, 31), "Europe/Berlin")
    assert year.offset_changes == [
        (datetime(2098, 12, 31, 23, tzinfo=UTC), 3600),
        (datetime(2099, 3, 29, 1, tzinfo=UTC), 7200),
        (datetime(2099, 10, 25, 1, tzinfo=UTC), 3600),
    ]
    assert year.end - year.start == timedelta(days=365)


def test_a_half_hour_zone_without_dst_has_one_offset():
    days = DayRange(date(2099, 3, 1), date(2099, 3, 31), "Asia/Kolkata")
    assert days.offset_changes == [(datetime(2099, 2, 28, 18, 30, tzinfo=UTC), 19800)]
    assert days.start == datetime(2099, 2, 28, 18, 30, tzinfo=UTC)
