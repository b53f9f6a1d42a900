"""The admin pages for business calendars and SLA policies: roles, field messages that keep
what was typed, stale edits, holiday imports, delete confirmation, matching order, versions,
and "apply to open requirements" from the dry run to the worker's finished recompute."""

import io
import re
from datetime import date
from typing import Any

import holidays as holiday_data
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Calendar, Requirement, Role, SlaPolicy, User
from tests.conftest import csrf_token, login
from tests.services import wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.tracking import calendars, requirements, sla_policies

ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
HOUR = 3600


@pytest.fixture
def admin(client: FlaskClient, make_user: Any) -> FlaskClient:
    login(client, make_user(Role.ADMIN).email)
    return client


@pytest.fixture
def token(admin: FlaskClient) -> str:
    return csrf_token(admin, "/admin/calendars/new")


def _calendar(app: Flask, name: str = "Always", **extra: Any) -> int:
    with app.app_context():
        data = {"name": name, "time_zone": "UTC", "periods": ALWAYS, **extra}
        calendar = calendars.create(db.session, data, clock=current_clock())
        db.session.commit()
        return calendar.id


def _policy(app: Flask, calendar_id: int, name: str = "Standard", **extra: Any) -> int:
    with app.app_context():
        data = {
            "name": name,
            "calendar_id": calendar_id,
            "targets": {"default": {"resolution": 10 * HOUR}},
            **extra,
        }
        policy = sla_policies.create(db.session, data, actor=None, clock=current_clock())
        db.session.commit()
        return policy.id


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _calendar_form(token: str, **overrides: str) -> dict[str, str | list[str]]:
    """Mon-Fri 09:00-12:00 and 13:00-17:00, quiet 20:00-08:00, one entered holiday."""
    form: dict[str, str | list[str]] = {
        "csrf_token": token,
        "name": "Berlin office",
        "time_zone": "Europe/Berlin",
        "version": "",
        "quiet-start": ["20:00", ""],
        "quiet-end": ["08:00", ""],
        "holiday-date": ["", "2027-12-24", ""],
        "holiday-name": ["", "Christmas Eve", ""],
    }
    for day in range(5):
        form |= {f"p-{day}-0-start": "09:00", f"p-{day}-0-end": "12:00"}
        form |= {f"p-{day}-1-start": "13:00", f"p-{day}-1-end": "17:00"}
    form.update(overrides)
    return form


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("role", "calendars_status", "policies_status"),
    [(Role.AGENT, 403, 403), (Role.SUPERVISOR, 403, 200), (Role.ADMIN, 200, 200)],
)
def test_admins_manage_calendars_and_supervisors_manage_policies(
    client: FlaskClient, make_user: Any, role: Role, calendars_status: int, policies_status: int
) -> None:
    login(client, make_user(role).email)
    assert client.get("/admin/calendars").status_code == calendars_status
    assert client.get("/admin/calendars/new").status_code == calendars_status
    assert client.get("/admin/sla-policies").status_code == policies_status
    assert client.get("/admin/sla-policies/new").status_code == policies_status
    if role == Role.AGENT:
        token = csrf_token(client, "/account")
        response = client.post("/admin/sla-policies/new", data={"csrf_token": token})
        assert response.status_code == 403


def test_menu_links_to_the_pages_each_role_may_use(client: FlaskClient, make_user: Any) -> None:
    login(client, make_user(Role.SUPERVISOR).email)
    html = _html(client.get("/account"))
    assert "/admin/sla-policies" in html and "/admin/calendars" not in html


# ---------------------------------------------------------------- calendars


def test_admin_creates_a_calendar_with_a_lunch_break(
    app: Flask, admin: FlaskClient, token: str
) -> None:
    response = admin.post("/admin/calendars/new", data=_calendar_form(token))
    assert response.status_code == 302
    with app.app_context():
        calendar = db.session.scalars(select(Calendar)).one()
        monday = [p for p in calendar.periods if p["weekday"] == 0]
        assert monday == [
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": 0, "start": "13:00", "end": "17:00"},
        ]
        assert len(calendar.periods) == 10
        assert calendar.quiet_hours == [{"start": "20:00", "end": "08:00"}]
        assert [(h.day, h.name) for h in calendar.holidays] == [
            (date(2027, 12, 24), "Christmas Eve")
        ]
    listing = _html(admin.get("/admin/calendars"))
    assert "Mon-Fri 09:00-12:00, 13:00-17:00".replace("-", "\u2013") in listing
    assert re.search(r"<td>1</td></tr>", listing)  # one holiday


def test_bad_calendar_shows_messages_at_fields_and_keeps_the_input(
    app: Flask, admin: FlaskClient, token: str
) -> None:
    form = _calendar_form(
        token,
        name="",
        time_zone="Mars/Olympus",
        **{"p-1-1-start": "13:00", "p-1-1-end": "1x:00", "holiday-date": ["tomorrow"]},
    )
    form["holiday-name"] = ["Party"]
    form["quiet-start"] = ["20:00", "", "12:00"]  # the blank window drops out
    form["quiet-end"] = ["08:00", "", "25:00"]
    response = admin.post("/admin/calendars/new", data=form)
    html = _html(response)
    assert response.status_code == 422
    assert 'id="name-error"' in html and "Give the calendar a name." in html
    assert 'id="time_zone-error"' in html and "Mars/Olympus" in html
    assert 'list="time_zone-zones"' in html and '<option value="Asia/Tokyo">' in html
    # The bad cell (Tuesday, period 2) carries its message and keeps what was typed.
    assert 'id="p-1-1-error"' in html and "“1x:00” is not a time" in html
    assert 'name="p-1-1-end" value="1x:00"' in html
    assert 'id="holiday-0-error"' in html and 'value="Party"' in html
    assert 'id="quiet-1-error"' in html and 'value="25:00"' in html
    assert 'name="quiet-start" value="20:00"' in html
    assert 'name="p-0-0-start" value="09:00"' in html  # good cells stay too
    with app.app_context():
        assert db.session.scalars(select(Calendar)).first() is None


def test_stale_calendar_edit_is_refused_and_keeps_the_editors_input(
    app: Flask, admin: FlaskClient, token: str
) -> None:
    calendar_id = _calendar(app)
    page = _html(admin.get(f"/admin/calendars/{calendar_id}"))
    loaded = re.search(r'name="version" value="(\d+)"', page)[1]
    with app.app_context():  # someone else saves first
        calendar = db.session.get(Calendar, calendar_id)
        calendars.update(db.session, calendar, {"time_zone": "Asia/Tokyo"}, clock=current_clock())
        db.session.commit()
        saved_version = calendar.version
    mine = _calendar_form(token, name="Mine", version=loaded)
    response = admin.post(f"/admin/calendars/{calendar_id}", data=mine)
    html = _html(response)
    assert response.status_code == 409
    assert "someone else saved this calendar first" in html
    assert "Asia/Tokyo" in html and 'value="Mine"' in html
    assert f'name="version" value="{saved_version}"' in html
    with app.app_context():
        assert db.session.get(Calendar, calendar_id).name == "Always"
    # Saving again, now against the saved version, applies the editor's change.
    again = admin.post(
        f"/admin/calendars/{calendar_id}", data={**mine, "version": str(saved_version)}
    )
    assert again.status_code == 302
    with app.app_context():
        assert db.session.get(Calendar, calendar_id).name == "Mine"


ICAL = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Rapport tests//EN
BEGIN:VEVENT
UID:1@example.com
DTSTART;VALUE=DATE:20271227
DTEND;VALUE=DATE:20271229
SUMMARY:Company retreat
END:VEVENT
BEGIN:VEVENT
UID:2@example.com
DTSTART;VALUE=DATE:20270815
SUMMARY:Summer party
END:VEVENT
END:VCALENDAR
"""


def test_admin_imports_german_holidays_and_an_ical_file(
    app: Flask, admin: FlaskClient, token: str
) -> None:
    calendar_id = _calendar(app)
    expected = len(holiday_data.country_holidays("DE", years=[2027]))
    response = admin.post(
        f"/admin/calendars/{calendar_id}/holidays/import",
        data={"csrf_token": token, "country": "de", "subdivision": "", "years": "2027"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert f"{expected} holidays added from the DE public holidays of 2027" in _html(response)

    response = admin.post(
        f"/admin/calendars/{calendar_id}/holidays/ical",
        data={"csrf_token": token, "file": (io.BytesIO(ICAL), "team.ics")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "3 holidays added from team.ics" in _html(response)
    with app.app_context():
        sources = [h.source for h in db.session.get(Calendar, calendar_id).holidays]
        assert (sources.count("holidays"), sources.count("ical")) == (expected, 3)

    again = admin.post(
        f"/admin/calendars/{calendar_id}/holidays/import",
        data={"csrf_token": token, "country": "DE", "years": "2027"},
        follow_redirects=True,
    )
    assert "No holidays added (all were already on the calendar)" in _html(again)


def test_bad_holiday_imports_name_the_field(app: Flask, admin: FlaskClient, token: str) -> None:
    calendar_id = _calendar(app)
    response = admin.post(
        f"/admin/calendars/{calendar_id}/holidays/import",
        data={"csrf_token": token, "country": "XX", "subdivision": "", "years": "next year"},
    )
    html = _html(response)
    assert response.status_code == 422
    assert 'id="country-error"' in html and 'id="years-error"' in html
    assert 'value="XX"' in html and 'value="next year"' in html
    empty = admin.post(
        f"/admin/calendars/{calendar_id}/holidays/ical",
        data={"csrf_token": token},
        content_type="multipart/form-data",
    )
    assert empty.status_code == 422 and 'id="file-error"' in _html(empty)


def test_an_ical_file_cannot_expand_into_centuries_of_holidays(
    app: Flask, admin: FlaskClient, token: str
) -> None:
    """Issue #10: a 300-year event wrote 105,920 holiday rows. A long event is refused before
    anything is written; a recurring one adds its first day (rules are not expanded)."""
    calendar_id = _calendar(app)
    event = (
        "BEGIN:VEVENT\nUID:{uid}\nDTSTART;VALUE=DATE:20270101\n{extra}SUMMARY:{name}\nEND:VEVENT\n"
    )
    long = event.format(uid="l@x", extra="DTEND;VALUE=DATE:23270101\n", name="Forever")
    yearly = event.format(uid="y@x", extra="RRULE:FREQ=DAILY;COUNT=109500\n", name="Daily")
    for body, status in ((long, 422), (yearly, 302)):
        content = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n{body}END:VCALENDAR\n"
        response = admin.post(
            f"/admin/calendars/{calendar_id}/holidays/ical",
            data={"csrf_token": token, "file": (io.BytesIO(content.encode()), "long.ics")},
            content_type="multipart/form-data",
        )
        assert response.status_code == status
        if status == 422:
            assert "more than 5,000 holiday days" in _html(response)
            with app.app_context():
                assert db.session.get(Calendar, calendar_id).holidays == []
    with app.app_context():
        assert len(db.session.get(Calendar, calendar_id).holidays) == 1


def test_delete_asks_first_and_refuses_a_calendar_in_use(
    app: Flask, admin: FlaskClient, token: str
) -> None:
    used = _calendar(app, "Used")
    unused = _calendar(app, "Unused")
    _policy(app, used, name="Gold")
    confirm = _html(admin.get(f"/admin/calendars/{unused}/delete"))
    assert "Delete the calendar “Unused”?" in confirm
    assert "Gold" in _html(admin.get(f"/admin/calendars/{used}/delete"))

    refused = admin.post(f"/admin/calendars/{used}/delete", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "SLA policies count in this calendar" in _html(refused)
    deleted = admin.post(f"/admin/calendars/{unused}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    with app.app_context():
        assert [c.name for c in db.session.scalars(select(Calendar))] == ["Used"]


# ---------------------------------------------------------------- SLA policies


@pytest.fixture
def supervisor(client: FlaskClient, make_user: Any) -> FlaskClient:
    login(client, make_user(Role.SUPERVISOR).email)
    return client


def _policy_form(token: str, calendar_id: int, **overrides: Any) -> dict[str, Any]:
    form = {
        "csrf_token": token,
        "version": "",
        "name": "Urgent customers",
        "active": "y",
        "priorities": ["urgent", "high"],
        "tags": "vip, gold",
        "calendar_id": str(calendar_id),
        "target-default-first_response": "4h",
        "target-default-resolution": "2d",
        "target-urgent-first_response": "30",
        "target-urgent-next_response": "1h 30m",
        "warning_percent": "75",
        "pause-first_response-default": "y",
        "pause-next_response-default": "y",
        "pause-resolution": ["waiting_on_customer", "proposal"],
        "rungs": "3",
        "rung-0-at": "percent",
        "rung-0-value": "90",
        "rung-0-recipients": ["assignee"],
        "rung-0-notify": "y",
        "rung-1-at": "after_breach",
        "rung-1-value": "30m",
        "rung-1-recipients": ["team_supervisors", "role:admin"],
        "rung-1-notify": "y",
        "rung-1-raise_priority": "y",
        "rung-2-at": "",
        "follow_up": "4h",
    }
    form.update(overrides)
    return form


def test_supervisor_creates_and_edits_a_policy_and_each_settings_change_is_a_version(
    app: Flask, supervisor: FlaskClient
) -> None:
    calendar_id = _calendar(app)
    token = csrf_token(supervisor, "/admin/sla-policies/new")
    created = supervisor.post(
        "/admin/sla-policies/new", data=_policy_form(token, calendar_id), follow_redirects=True
    )
    assert created.status_code == 200
    assert "Policy “Urgent customers” created: version 1." in _html(created)
    with app.app_context():
        policy = db.session.scalars(select(SlaPolicy)).one()
        saved = sla_policies.as_dict(policy)
        policy_id = policy.id
    assert saved["match"] == {"priorities": ["urgent", "high"], "tags": ["vip", "gold"]}
    assert saved["targets"] == {
        "default": {"first_response": 4 * HOUR, "resolution": 48 * HOUR},
        "urgent": {"first_response": 30 * 60, "next_response": 90 * 60},
    }
    assert saved["pause_states"] == {"resolution": ["waiting_on_customer", "proposal"]}
    assert saved["ladder"] == [
        {"at": "percent", "value": 90, "recipients": ["assignee"], "actions": ["notify"]},
        {
            "at": "after_breach",
            "seconds": 1800,
            "recipients": ["team_supervisors", "role:admin"],
            "actions": ["notify", "raise_priority"],
        },
    ]
    assert (saved["warning_percent"], saved["follow_up_seconds"]) == (75, 4 * HOUR)

    page = _html(supervisor.get(f"/admin/sla-policies/{policy_id}"))
    assert 'name="target-default-resolution" value="48h"' in page  # shown as entered units
    version = re.search(r'name="version" value="(\d+)"', page)[1]
    edit = _policy_form(
        token,
        calendar_id,
        version=version,
        **{"target-default-resolution": "3d", "rung-0-remove": "y"},
    )
    edited = supervisor.post(f"/admin/sla-policies/{policy_id}", data=edit, follow_redirects=True)
    assert "saved: version 2 created" in _html(edited)
    renamed = supervisor.post(
        f"/admin/sla-policies/{policy_id}",
        data={
            **edit,
            "name": "Urgent",
            "version": re.search(r'name="version" value="(\d+)"', _html(edited))[1],
        },
        follow_redirects=True,
    )
    assert "settings unchanged (version 2)" in _html(renamed)

    versions = _html(supervisor.get(f"/admin/sla-policies/{policy_id}/versions"))
    assert "Version 2" in versions and "Version 1" in versions
    assert "resolution 72h" in versions and "resolution 48h" in versions
    assert "1. at 90 %: Assignee — notify" in versions  # only in version 1


def test_bad_policy_shows_messages_where_they_belong_and_keeps_the_input(
    app: Flask, supervisor: FlaskClient
) -> None:
    calendar_id = _calendar(app)
    token = csrf_token(supervisor, "/admin/sla-policies/new")
    form = _policy_form(
        token,
        calendar_id,
        name="",
        warning_percent="150",
        **{
            "target-default-first_response": "soon",
            "rung-1-value": "a while",
            "rung-0-value": "5000",
        },
    )
    response = supervisor.post("/admin/sla-policies/new", data=form)
    html = _html(response)
    assert response.status_code == 422
    assert 'id="name-error"' in html and 'id="warning_percent-error"' in html
    assert 'id="target-default-first_response-error"' in html and "“soon” is not a duration" in html
    assert 'value="soon"' in html and 'value="150"' in html
    assert 'id="rung-0-error"' in html and "percentage of the target" in html
    assert 'id="rung-1-error"' in html and "“a while” is not a delay" in html
    assert 'value="a while"' in html
    with app.app_context():
        assert db.session.scalars(select(SlaPolicy)).first() is None


def test_stale_policy_edit_is_refused_with_a_comparison(
    app: Flask, supervisor: FlaskClient
) -> None:
    calendar_id = _calendar(app)
    policy_id = _policy(app, calendar_id)
    page = _html(supervisor.get(f"/admin/sla-policies/{policy_id}"))
    loaded = re.search(r'name="version" value="(\d+)"', page)[1]
    token = csrf_token(supervisor, f"/admin/sla-policies/{policy_id}")
    with app.app_context():
        policy = db.session.get(SlaPolicy, policy_id)
        sla_policies.update(
            db.session,
            policy,
            {"warning_percent": 50},
            expected_version=None,
            actor=None,
            clock=current_clock(),
        )
        db.session.commit()
    response = supervisor.post(
        f"/admin/sla-policies/{policy_id}",
        data=_policy_form(token, calendar_id, version=loaded, name="Mine"),
    )
    html = _html(response)
    assert response.status_code == 409
    assert "someone else saved this policy first" in html
    assert "50 % of the target" in html and "75 % of the target" in html
    assert 'value="Mine"' in html
    with app.app_context():
        policy = db.session.get(SlaPolicy, policy_id)
        assert (policy.name, policy.current_version.number) == ("Standard", 2)


def test_move_buttons_change_the_matching_order(app: Flask, supervisor: FlaskClient) -> None:
    calendar_id = _calendar(app)
    first, second, third = (_policy(app, calendar_id, name=n) for n in ("A", "B", "C"))
    token = csrf_token(supervisor, "/admin/sla-policies")
    response = supervisor.post(
        f"/admin/sla-policies/{third}/move", data={"csrf_token": token, "direction": "up"}
    )
    assert response.status_code == 302
    assert f"moved={third}" in response.headers["Location"]
    supervisor.post(
        f"/admin/sla-policies/{first}/move", data={"csrf_token": token, "direction": "up"}
    )
    with app.app_context():
        assert [p.id for p in sla_policies.ordered(db.session)] == [first, third, second]
    listing = _html(supervisor.get(f"/admin/sla-policies?moved={third}&direction=up"))
    assert listing.index(">A<") < listing.index(">C<") < listing.index(">B<")
    assert re.search(r'aria-label="Move C up" autofocus', listing)


def test_a_policy_below_a_catch_all_is_flagged_until_it_moves_above_it(
    app: Flask, supervisor: FlaskClient
) -> None:
    calendar_id = _calendar(app)
    every_priority = ["low", "normal", "high", "urgent"]
    catch_all = _policy(app, calendar_id, name="All", match={"priorities": every_priority})
    _policy(app, calendar_id, name="Narrow", match={"priorities": ["urgent"]}, position=1)
    # Above the catch-all, "Narrow" is fine; the new form warns that a new policy goes last.
    new_form = _html(supervisor.get("/admin/sla-policies/new"))
    assert (
        'id="shadowed"' in new_form and "below “All”, which matches every requirement" in new_form
    )

    token = csrf_token(supervisor, "/admin/sla-policies/new")
    created = supervisor.post(
        "/admin/sla-policies/new", data=_policy_form(token, calendar_id), follow_redirects=True
    )
    page = _html(created)
    assert "Policy “Urgent customers” created" in page
    assert "“Urgent customers” is never used while “All” sits above it" in page
    with app.app_context():
        urgent = db.session.scalar(select(SlaPolicy.id).where(SlaPolicy.name == "Urgent customers"))
        narrow = db.session.scalar(select(SlaPolicy.id).where(SlaPolicy.name == "Narrow"))
    listing = _html(supervisor.get("/admin/sla-policies"))
    assert f'id="shadowed-{urgent}"' in listing and f'id="shadowed-{narrow}"' not in listing
    assert f'id="shadowed-{catch_all}"' not in listing

    # Moved above the catch-all, the warning goes.
    supervisor.post(
        f"/admin/sla-policies/{urgent}/move", data={"csrf_token": token, "direction": "up"}
    )
    assert 'id="shadowed"' not in _html(supervisor.get(f"/admin/sla-policies/{urgent}"))
    assert 'id="shadowed-' not in _html(supervisor.get("/admin/sla-policies"))


def test_only_a_policy_matching_everything_counts_as_a_catch_all(app: Flask) -> None:
    with app.app_context():
        assert sla_policies.is_catch_all(SlaPolicy(name="x", match={}))
        assert sla_policies.is_catch_all(SlaPolicy(name="x", match=None))
        assert not sla_policies.is_catch_all(SlaPolicy(name="x", match={"priorities": ["low"]}))
        # A team, category or tag condition leaves out requirements without one.
        assert not sla_policies.is_catch_all(SlaPolicy(name="x", match={"tags": ["vip"]}))


# ---------------------------------------------------------------- apply to open requirements


def _open_requirements(app: Flask, count: int) -> list[int]:
    with app.app_context():
        clock = current_clock()
        customer = profiles.create_customer(db.session, {"name": "Ana"}, actor_id=None, clock=clock)
        ids = [
            requirements.open_requirement(
                db.session, customer_id=customer.id, title=f"Broken {n}", clock=clock, actor=None
            ).id
            for n in range(count)
        ]
        db.session.commit()
        return ids


def _new_version(app: Flask, policy_id: int, resolution: int) -> None:
    with app.app_context():
        policy = db.session.get(SlaPolicy, policy_id)
        sla_policies.update(
            db.session,
            policy,
            {"targets": {"default": {"resolution": resolution}}},
            expected_version=None,
            actor=db.session.scalars(select(User)).first(),
            clock=current_clock(),
        )
        db.session.commit()


def test_apply_shows_a_dry_run_first_and_changes_nothing(
    app: Flask, supervisor: FlaskClient
) -> None:
    policy_id = _policy(app, _calendar(app))
    opened = _open_requirements(app, 3)
    _new_version(app, policy_id, 12 * HOUR)
    html = _html(supervisor.get(f"/admin/sla-policies/{policy_id}/apply"))
    assert 'id="requirements">3<' in html
    assert re.search(r'id="moving">3:\s+0 earlier, 3 later', html)
    assert re.search(r'id="largest">2h\s+later', html)
    assert "Apply to 3 requirements" in html
    with app.app_context():
        versions = {db.session.get(Requirement, i).sla_policy_version_id for i in opened}
        assert versions == {db.session.get(SlaPolicy, policy_id).current_version_id - 1}


def test_apply_recomputes_in_the_background_with_progress(
    app: Flask, supervisor: FlaskClient, worker: Any
) -> None:
    policy_id = _policy(app, _calendar(app))
    opened = _open_requirements(app, 3)
    _new_version(app, policy_id, 12 * HOUR)
    token = csrf_token(supervisor, f"/admin/sla-policies/{policy_id}/apply")
    started = supervisor.post(f"/admin/sla-policies/{policy_id}/apply", data={"csrf_token": token})
    assert started.status_code == 302
    assert started.headers["Location"].endswith(f"/admin/sla-policies/{policy_id}/apply/progress")
    progress = _html(supervisor.get(started.headers["Location"]))
    assert "<progress" in progress and "requirements recomputed" in progress

    def status() -> dict[str, Any]:
        return supervisor.get(f"/admin/sla-policies/{policy_id}/apply/status").get_json()

    wait_until(lambda: (status()["recompute"] or {}).get("status") == "finished", timeout=20)
    assert (status()["recompute"]["done"], status()["recompute"]["total"]) == (3, 3)
    with app.app_context():
        current = db.session.get(SlaPolicy, policy_id).current_version_id
        assert {db.session.get(Requirement, i).sla_policy_version_id for i in opened} == {current}
    finished = _html(supervisor.get(f"/admin/sla-policies/{policy_id}/apply/progress"))
    assert "3 of 3 requirements recomputed" in finished


def test_rematch_moves_open_requirements_onto_a_new_policy_above_with_a_dry_run_first(
    app: Flask, supervisor: FlaskClient, worker: Any
) -> None:
    calendar_id = _calendar(app)
    standard = _policy(app, calendar_id)  # no conditions: every requirement gets it
    normal = _open_requirements(app, 3)  # priority normal
    with app.app_context():
        customer_id = db.session.get(Requirement, normal[0]).customer_id
        high = requirements.open_requirement(
            db.session,
            customer_id=customer_id,
            title="Urgent thing",
            priority="high",
            clock=current_clock(),
            actor=None,
        ).id
        db.session.commit()
    # A narrower policy created later, moved above "Standard": only new requirements get it.
    narrow = _policy(
        app, calendar_id, name="Normal ones", match={"priorities": ["normal"]}, position=1
    )
    assert 'id="requirements">' not in _html(supervisor.get(f"/admin/sla-policies/{narrow}/apply"))

    dry = _html(supervisor.get(f"/admin/sla-policies/{narrow}/apply?mode=rematch"))
    assert 'id="requirements">3<' in dry
    assert "Move 3 requirements onto this policy" in dry
    with app.app_context():
        old = db.session.get(SlaPolicy, standard).current_version_id
        assert {db.session.get(Requirement, i).sla_policy_version_id for i in normal} == {old}

    token = csrf_token(supervisor, f"/admin/sla-policies/{narrow}/apply?mode=rematch")
    started = supervisor.post(
        f"/admin/sla-policies/{narrow}/apply", data={"csrf_token": token, "mode": "rematch"}
    )
    assert started.status_code == 302

    def status() -> dict[str, Any]:
        return supervisor.get(f"/admin/sla-policies/{narrow}/apply/status").get_json()

    wait_until(lambda: (status()["recompute"] or {}).get("status") == "finished", timeout=20)
    assert (status()["recompute"]["done"], status()["recompute"]["total"]) == (3, 3)
    with app.app_context():
        new = db.session.get(SlaPolicy, narrow).current_version_id
        assert {db.session.get(Requirement, i).sla_policy_version_id for i in normal} == {new}
        assert db.session.get(Requirement, high).sla_policy_version_id == old
    # Nothing is left to move.
    again = _html(supervisor.get(f"/admin/sla-policies/{narrow}/apply?mode=rematch"))
    assert 'id="nothing"' in again


def test_apply_is_refused_while_one_is_running(app: Flask, supervisor: FlaskClient) -> None:
    policy_id = _policy(app, _calendar(app))
    _open_requirements(app, 1)
    _new_version(app, policy_id, 12 * HOUR)
    with app.app_context():
        db.session.get(SlaPolicy, policy_id).recompute = {"status": "running", "done": 0}
        db.session.commit()
    page = _html(supervisor.get(f"/admin/sla-policies/{policy_id}/apply"))
    assert "An apply is already running" in page and "Apply to 1 requirement" not in page
    token = csrf_token(supervisor, f"/admin/sla-policies/{policy_id}")
    refused = supervisor.post(f"/admin/sla-policies/{policy_id}/apply", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "already being applied" in _html(refused)
