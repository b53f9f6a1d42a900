"""A business calendar for a Chinese team on the real database: China's holidays and adjusted
working weekends (调休) imported from the `holidays` package, and every consumer of the calendar
honouring the worked weekend days: SLA targets, warnings and pauses, quiet hours, outreach send
windows and business-day delays; entered working days through the workflow, the admin form and
the API. Asia/Shanghai is UTC+8 all year; the team is open 09:00-12:00 and 13:30-18:00 (7.5 h)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Calendar, Metric, Requirement, Role, SlaClock, SlaStatus, Timer, User
from tests.conftest import csrf_token, login
from web.clocks import OFFSET_KEY, current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.outreach.planning import Planner
from workflows.platform import accounts
from workflows.platform.clock import ManualClock, SystemClock
from workflows.platform.errors import ValidationFailed
from workflows.tracking import calendars, conversations, requirements, sla_policies
from workflows.tracking.business_time import add_business_time

HOUR = 3600
OFFICE = [
    {"weekday": d, "start": start, "end": end}
    for d in range(5)
    for start, end in (("09:00", "12:00"), ("13:30", "18:00"))
]


def shanghai(*args: int) -> datetime:
    """A Shanghai wall-clock time as UTC."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def _china_calendar(clock: ManualClock, **extra: Any) -> Calendar:
    calendar = calendars.create(
        db.session,
        {"name": "中国", "time_zone": "Asia/Shanghai", "periods": OFFICE, **extra},
        clock=clock,
    )
    calendars.import_country_holidays(db.session, calendar, country="CN", years=[2025])
    return calendar


@pytest.fixture
def china(in_app: Flask, make_user: Any) -> dict[str, Any]:
    clock = ManualClock(shanghai(2025, 9, 1, 9))
    # The session's clock process, if an earlier test started it, reads the shared test clock:
    # set it to the same 2025 morning, or it fires this file's 2025 timers as long overdue while
    # a test moves the same requirement (the `app` fixture resets the offset for the next test).
    offset = (clock.now() - SystemClock().now()).total_seconds()
    redis.Redis.from_url(in_app.config["REDIS_URL"]).set(OFFSET_KEY, offset)
    agent = db.session.get(User, make_user(Role.AGENT, email="agent@example.cn").id)
    team = accounts.create_team(db.session, "客服", clock=clock)
    accounts.set_team_members(db.session, team, [agent.id], [])
    customer = profiles.create_customer(
        db.session, {"name": "王芳", "emails": "wangfang@example.cn"}, actor_id=None, clock=clock
    )
    calendar = _china_calendar(clock, quiet_hours=[{"start": "20:00", "end": "08:00"}])
    sla_policies.create(
        db.session,
        {
            "name": "China",
            "calendar_id": calendar.id,
            "targets": {"default": {"first_response": 8 * HOUR, "resolution": 24 * HOUR}},
            "warning_percent": 80,
            "ladder": [{"at": "breach", "recipients": ["assignee"]}],
        },
        actor=None,
        clock=clock,
    )
    db.session.commit()
    return {
        "clock": clock,
        "agent": agent,
        "team": team,
        "customer": customer,
        "calendar": calendar,
    }


def _open(china: dict[str, Any], at: datetime) -> Requirement:
    china["clock"].set(at)
    req = requirements.open_requirement(
        db.session,
        customer_id=china["customer"].id,
        title="发票没有收到",
        clock=china["clock"],
        actor=china["agent"],
        team_id=china["team"].id,
        assignee_id=china["agent"].id,
    )
    db.session.commit()
    return req


def _sla(req: Requirement, metric: Metric) -> SlaClock:
    return db.session.scalars(
        select(SlaClock).where(SlaClock.requirement_id == req.id, SlaClock.metric == metric)
    ).one()


def test_import_brings_the_adjusted_working_weekends_of_the_chosen_years_only(
    china: dict[str, Any],
) -> None:
    calendar: Calendar = china["calendar"]
    worked = [(w.day, w.source, w.periods) for w in calendar.working_days]
    assert worked == [
        (date(2025, 1, 26), "holidays", None),
        (date(2025, 2, 8), "holidays", None),
        (date(2025, 4, 27), "holidays", None),
        (date(2025, 9, 28), "holidays", None),
        (date(2025, 10, 11), "holidays", None),
    ]
    assert date(2025, 10, 8) in {h.day for h in calendar.holidays}
    again = calendars.import_country_holidays(db.session, calendar, country="CN", years=[2025])
    assert again == calendars.Imported(holidays=0, working_days=0)
    listed = calendars.as_dict(calendar)["working_days"]
    assert listed[0] == {
        "date": "2025-01-26",
        "name": calendars.ADJUSTED_WORKING_DAY,
        "source": "holidays",
        "periods": None,
    }


def test_sla_counts_the_worked_sunday_and_skips_national_day(china: dict[str, Any]) -> None:
    # Friday 26 Sep 17:00: 1 h on Friday, Saturday closed, Sunday 28th worked (7.5 h): the
    # 8-hour first response is due Sunday 28th at 17:30.
    before = _open(china, shanghai(2025, 9, 26, 17))
    assert _sla(before, Metric.FIRST_RESPONSE).due_at == shanghai(2025, 9, 28, 17, 30)

    # Tuesday 30 Sep 17:00: 1 h on Tuesday; Oct 1-8 closed (National Day, the weekend,
    # Mid-Autumn, two days off); Thursday 9th 09:00-12:00 (4 h), 13:30 + 4 h = 17:30.
    req = _open(china, shanghai(2025, 9, 30, 17))
    first = _sla(req, Metric.FIRST_RESPONSE)
    assert first.due_at == shanghai(2025, 10, 9, 17, 30)
    # The warning at 80 % = 6 h 24 min: 1 h + 3 h, then 13:30 + 2 h 24 = 15:54 on the 9th.
    timers = dict(
        db.session.execute(
            select(Timer.kind, Timer.due_at).where(Timer.requirement_id == req.id)
        ).all()
    )
    assert timers["first_response:warning"] == shanghai(2025, 10, 9, 15, 54)
    # Resolution, 24 h: Tue 1, Thu 9th 7.5 (8.5), Fri 10th 7.5 (16), Saturday 11th is worked
    # 7.5 (23.5), Sunday 12th closed, Monday 13th 09:30.
    assert _sla(req, Metric.RESOLUTION).due_at == shanghai(2025, 10, 13, 9, 30)


def test_a_paused_clock_counts_the_worked_sunday_before_and_resumes_after_the_holiday(
    china: dict[str, Any],
) -> None:
    req = _open(china, shanghai(2025, 9, 26, 17))
    clock = china["clock"]
    requirements.fire(db.session, req, "assign", actor=china["agent"], clock=clock)
    clock.set(shanghai(2025, 9, 29, 10))  # Monday 10:00
    requirements.fire(db.session, req, "ask_customer", actor=china["agent"], clock=clock)
    db.session.commit()
    resolution = _sla(req, Metric.RESOLUTION)
    # Friday 1 h + Sunday 28th 7.5 h + Monday 1 h.
    assert resolution.status == SlaStatus.PAUSED and resolution.used_seconds == 9.5 * HOUR
    clock.set(shanghai(2025, 10, 9, 9))  # the customer answers on the first day back
    conversations.log_communication(
        db.session,
        china["customer"],
        {
            "channel": "email",
            "direction": "inbound",
            "body": "附件在这里",
            "requirement_id": req.id,
        },
        actor_id=None,
        clock=clock,
    )
    db.session.commit()
    db.session.refresh(resolution)
    # 14.5 h left: Thursday 9th 7.5 h, Friday 10th 09:00-12:00 3 h, 13:30 + 4 h = 17:30.
    assert resolution.status == SlaStatus.RUNNING
    assert resolution.due_at == shanghai(2025, 10, 10, 17, 30)


def test_quiet_hours_end_at_the_worked_sundays_opening(china: dict[str, Any]) -> None:
    calendar = china["calendar"]
    # Saturday 27 Sep 22:00 is quiet until 08:00; Sunday 28th is worked, so notices go at 09:00
    # that Sunday, not on Monday.
    assert calendars.quiet_until(calendar, shanghai(2025, 9, 27, 22)) == shanghai(2025, 9, 28, 9)
    assert calendars.quiet_until(calendar, shanghai(2025, 10, 4, 22)) == shanghai(2025, 10, 9, 9)


def test_outreach_windows_and_business_day_delays_use_the_worked_days(
    china: dict[str, Any],
) -> None:
    definition = {
        "window": {
            "weekdays": [0, 1, 2, 3, 4],
            "start": "10:00",
            "end": "17:00",
            "calendar_id": china["calendar"].id,
        },
        "steps": [
            {"delay": {"amount": 0, "unit": "minutes"}},
            {"delay": {"amount": 1, "unit": "business_days"}},
        ],
    }
    planner = Planner.load(db.session, definition)
    zone = "Asia/Shanghai"
    # Saturday evening: the worked Sunday's window at 10:00.
    assert planner.due_at(0, shanghai(2025, 1, 25, 20), zone) == shanghai(2025, 1, 26, 10)
    # One business day after Friday 24th 15:00 is the worked Sunday, inside the window.
    assert planner.due_at(1, shanghai(2025, 1, 24, 15), zone) == shanghai(2025, 1, 26, 15)
    # From Monday 27th evening, the window next opens after the Spring Festival week.
    assert planner.due_at(0, shanghai(2025, 1, 27, 18), zone) == shanghai(2025, 2, 5, 10)


def test_entered_working_days_with_own_hours_and_their_errors(china: dict[str, Any]) -> None:
    clock, calendar = china["clock"], china["calendar"]
    calendars.update(
        db.session,
        calendar,
        {
            "working_days": [
                {
                    "date": "2025-12-13",
                    "name": "年终盘点",
                    "periods": [{"start": "10:00", "end": "12:00"}],
                },
                {"date": "2025-12-14", "name": "Normal Sunday"},
            ]
        },
        clock=clock,
    )
    db.session.commit()
    business = calendars.business_calendar(calendar)
    assert business.periods_on(date(2025, 12, 13))[0].start.isoformat() == "10:00:00"
    assert len(business.periods_on(date(2025, 12, 14))) == 2  # Monday's two periods
    # Friday 12th 17:00 + 3 h: 1 h on Friday, then Saturday 10:00-12:00: Saturday 12:00.
    assert add_business_time(business, shanghai(2025, 12, 12, 17), timedelta(hours=3)) == shanghai(
        2025, 12, 13, 12
    )
    calendars.update(  # entered days given again replace the entered ones
        db.session,
        calendar,
        {"working_days": [{"date": "2025-12-13", "periods": [{"start": "10:00", "end": "12:00"}]}]},
        clock=clock,
    )
    assert [w.day for w in calendar.working_days if w.source == "entered"] == [date(2025, 12, 13)]
    with pytest.raises(ValidationFailed) as bad:
        calendars.update(
            db.session,
            calendar,
            {
                "working_days": [
                    {"date": "2025-13-01"},
                    {"date": "2025-12-20", "periods": [{"start": "18:00", "end": "09:00"}]},
                ]
            },
            clock=clock,
        )
    assert [m.split(":")[0] for m in bad.value.errors["working_days"]] == [
        "Working day 1",
        "Working day 2",
    ]
    with pytest.raises(ValidationFailed) as clash:
        calendars.update(
            db.session, calendar, {"working_days": [{"date": "2025-10-01"}]}, clock=clock
        )
    assert "already a holiday" in clash.value.errors["working_days"][0]


# ---------------------------------------------------------------- the admin form and the API


def test_admin_form_saves_working_days_and_shows_errors_at_their_row(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    login(client, make_user(Role.ADMIN).email)
    token = csrf_token(client, "/admin/calendars/new")
    form: dict[str, Any] = {
        "csrf_token": token,
        "name": "上海",
        "time_zone": "Asia/Shanghai",
        "version": "",
        "workday-date": ["2026-02-14", "2026-02-28", ""],
        "workday-name": ["补班", "", ""],
        "workday-hours": ["", "09:00\u201312:00, 13:30-18:00", ""],
    }
    for day in range(5):
        form |= {f"p-{day}-0-start": "09:00", f"p-{day}-0-end": "12:00"}
        form |= {f"p-{day}-1-start": "13:30", f"p-{day}-1-end": "18:00"}
    assert client.post("/admin/calendars/new", data=form).status_code == 302
    with app.app_context():
        calendar = db.session.scalars(select(Calendar)).one()
        assert [(w.day.isoformat(), w.name, w.periods) for w in calendar.working_days] == [
            ("2026-02-14", "补班", None),
            (
                "2026-02-28",
                "Working day",
                [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "18:00"}],
            ),
        ]
        calendar_id, version = calendar.id, calendar.version
    page = client.get(f"/admin/calendars/{calendar_id}").get_data(as_text=True)
    assert 'value="补班"' in page and "09:00\u201312:00, 13:30\u201318:00" in page
    bad = {**form, "version": str(version), "workday-hours": ["noon", "", ""]}
    response = client.post(f"/admin/calendars/{calendar_id}", data=bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="workday-0-error"' in html and "is not a time" in html
    assert 'value="noon"' in html  # what was typed stays


def test_api_takes_working_days_and_reports_imported_ones(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    admin = make_user(Role.ADMIN)
    with app.app_context():
        secret = accounts.issue_token(
            db.session, db.session.get(User, admin.id), "t", clock=current_clock()
        ).secret
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    body = {
        "name": "Shanghai",
        "time_zone": "Asia/Shanghai",
        "periods": OFFICE,
        "working_days": [{"date": "2026-10-10", "periods": [{"start": "09:00", "end": "12:00"}]}],
    }
    created = client.post("/api/v1/calendars", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["working_days"][0]["periods"] == [{"start": "09:00", "end": "12:00"}]
    calendar_id = created.get_json()["id"]
    imported = client.post(
        f"/api/v1/calendars/{calendar_id}/holidays/import",
        json={"country": "CN", "years": [2026]},
        headers=headers,
    )
    assert imported.status_code == 200
    result = imported.get_json()
    # 2026-10-10 was entered already, so the import adds the other adjusted days of 2026.
    assert result["added_working_days"] == 5 and result["added"] > 10
    bad = client.post(
        "/api/v1/calendars",
        json={**body, "name": "Bad", "working_days": [{"date": "someday"}]},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.headers["Content-Type"].startswith("application/problem+json")
    assert "working_days" in str(bad.get_json())


def test_admin_import_of_china_names_the_adjusted_working_days(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    login(client, make_user(Role.ADMIN).email)
    with app.app_context():
        calendar = calendars.create(
            db.session,
            {"name": "Shanghai", "time_zone": "Asia/Shanghai", "periods": OFFICE},
            clock=current_clock(),
        )
        db.session.commit()
        calendar_id = calendar.id
    token = csrf_token(client, f"/admin/calendars/{calendar_id}")
    response = client.post(
        f"/admin/calendars/{calendar_id}/holidays/import",
        data={"csrf_token": token, "country": "cn", "years": "2025"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "and 5 adjusted working days from the CN public holidays of 2025" in html
    assert "5 imported working days" in html  # listed under the form's extra working days
