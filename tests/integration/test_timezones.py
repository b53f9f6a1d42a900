"""Times are stored in UTC and shown in the viewer's time zone (DESIGN.md §8): the `localtime`
filter on the account page's tokens and the admin user list's last sign-in."""

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from models import Role, User
from tests.conftest import PASSWORD, login
from tests.integration.test_admin import form_values
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import ManualClock

WINTER_NOON_UTC = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SUMMER_NOON_UTC = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


def _token_at(app: Flask, user: User, instant: datetime, name: str = "script") -> None:
    with app.app_context():
        owner = db.session.get(User, user.id)
        accounts.issue_token(db.session, owner, name, clock=ManualClock(instant))
        db.session.commit()


def _signed_in_at(app: Flask, user: User, instant: datetime) -> None:
    with app.app_context():
        assert accounts.authenticate(db.session, user.email, PASSWORD, clock=ManualClock(instant))
        db.session.commit()


def _html(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_tokyo_user_sees_token_times_in_japan_standard_time(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    user = make_user(Role.AGENT, time_zone="Asia/Tokyo")
    _token_at(app, user, WINTER_NOON_UTC)
    login(client, user.email)

    html = _html(client, "/account")
    assert (
        '<time datetime="2026-01-15T21:00:00+09:00" title="2026-01-15 12:00:00 UTC">'
        "2026-01-15 21:00 JST</time>"
    ) in html
    assert "12:00 UTC</time>" not in html


def test_admin_in_tokyo_sees_last_sign_in_on_the_local_date(app: Flask, make_user: Any) -> None:
    agent = make_user(Role.AGENT, name="Late Larry")
    _signed_in_at(app, agent, datetime(2026, 7, 1, 23, 30, tzinfo=UTC))
    tokyo_admin = make_user(Role.ADMIN, time_zone="Asia/Tokyo")
    utc_admin = make_user(Role.ADMIN, time_zone="UTC")
    in_tokyo, in_utc = app.test_client(), app.test_client()
    login(in_tokyo, tokyo_admin.email)
    login(in_utc, utc_admin.email)

    # The same instant, one calendar day apart.
    assert ">2026-07-02 08:30 JST</time>" in _html(in_tokyo, "/admin/users?q=Larry")
    assert ">2026-07-01 23:30 UTC</time>" in _html(in_utc, "/admin/users?q=Larry")


def test_new_york_viewer_sees_standard_and_daylight_time(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    user = make_user(Role.AGENT, time_zone="America/New_York")
    _token_at(app, user, WINTER_NOON_UTC, "winter")
    _token_at(app, user, SUMMER_NOON_UTC, "summer")
    login(client, user.email)

    html = _html(client, "/account")
    assert '<time datetime="2026-01-15T07:00:00-05:00"' in html
    assert ">2026-01-15 07:00 EST</time>" in html
    assert '<time datetime="2026-07-15T08:00:00-04:00"' in html
    assert ">2026-07-15 08:00 EDT</time>" in html


def test_changing_my_time_zone_changes_the_times_i_see(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    user = make_user(Role.AGENT, time_zone="UTC")
    _token_at(app, user, SUMMER_NOON_UTC)
    login(client, user.email)
    html = _html(client, "/account")
    assert ">2026-07-15 12:00 UTC</time>" in html

    profile = {k: v for k, v in form_values(html).items() if k.startswith("profile-")}
    assert profile["profile-time_zone"] == "UTC"
    profile["profile-time_zone"] = "Asia/Tokyo"
    assert client.post("/account/profile", data=profile).status_code == 302

    html = _html(client, "/account")
    assert ">2026-07-15 21:00 JST</time>" in html
    assert ">2026-07-15 12:00 UTC</time>" not in html
