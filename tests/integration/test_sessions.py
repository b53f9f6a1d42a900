"""Sessions end server-side: sign-out, "sign out everywhere" and deactivation end every session
of the user, a copied session cookie and the remember-me cookie included; remember-me lasts
`REMEMBER_DAYS`."""

from datetime import UTC, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from models import Role, User
from tests.conftest import PASSWORD, csrf_token
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import SystemClock


def _remembered_login(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "remember": "y", "csrf_token": token},
    )
    assert response.status_code == 302
    return client


def _copy(app: Flask, source: FlaskClient) -> FlaskClient:
    """Another browser holding copies of `source`'s cookies (session and remember-me)."""
    thief = app.test_client()
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def test_sign_out_kills_copied_session_and_remember_cookies(app: Flask, make_user: Any) -> None:
    user = make_user()
    victim = _remembered_login(app, user.email)
    thief = _copy(app, victim)
    assert _signed_in(thief)
    victim.post("/logout", data={"csrf_token": csrf_token(victim, "/account")})
    assert not _signed_in(victim)
    assert not _signed_in(thief)
    remember_only = app.test_client()  # the session cookie gone, only "keep me signed in"
    remember_only.set_cookie("remember_token", thief.get_cookie("remember_token").value)
    assert not _signed_in(remember_only)


def test_sign_out_everywhere_ends_other_browsers(app: Flask, make_user: Any) -> None:
    user = make_user()
    laptop, phone = _remembered_login(app, user.email), _remembered_login(app, user.email)
    response = laptop.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_token(laptop, "/account")}
    )
    assert response.status_code == 302
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _signed_in(_remembered_login(app, user.email))  # signing in again works


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(
    app: Flask, make_user: Any
) -> None:
    user = make_user()
    browser = _remembered_login(app, user.email)
    with app.app_context():
        row = db.session.get(User, user.id)
        for active in (False, True):
            accounts.update_user(
                db.session,
                row,
                expected_version=row.version,
                name=row.name,
                role=Role.AGENT,
                time_zone="UTC",
                is_active=active,
            )
        db.session.commit()
    assert not _signed_in(browser)


def test_remember_me_lasts_the_configured_days(make_app: Any, make_user: Any) -> None:
    app = make_app(REMEMBER_DAYS=3)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=3)
    user = make_user()
    client = _remembered_login(app, user.email)
    cookie = client.get_cookie("remember_token")
    left = cookie.expires.replace(tzinfo=UTC) - SystemClock().now()
    assert timedelta(days=3) - timedelta(minutes=5) < left <= timedelta(days=3)
