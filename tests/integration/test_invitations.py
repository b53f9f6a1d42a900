"""Invitations: an admin creates a user, the worker mails the set-password link through the
real SMTP server, the link from that email sets the password once and the user signs in; an
expired, used or forged link shows a clear page; the admin can resend."""

import re
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import OutboxMessage, OutboxStatus, Role, User
from tests.conftest import csrf_token, login
from tests.services import wait_until
from web.auth.invitation import settings
from web.extensions import db
from workflows.platform import invitations
from workflows.platform.clock import ManualClock, SystemClock


def _admin_client(app: Flask, make_user: Any) -> FlaskClient:
    admin = make_user(Role.ADMIN, name="Ada Admin")
    client = app.test_client()
    assert login(client, admin.email).status_code == 302
    return client


def _sent(app: Flask, count: int) -> None:
    def done() -> bool:
        with app.app_context():
            statuses = db.session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.cause == "invitation")
            ).all()
        return len(statuses) == count and all(s == OutboxStatus.SENT for s in statuses)

    wait_until(done, timeout=15)


def _link(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"https?://\S+/invitation/(\S+)", body.decode())
    assert match, body
    return f"/invitation/{match.group(1)}"


def test_invited_user_sets_a_password_from_the_mailed_link_and_signs_in(
    app: Flask, make_user: Any, worker: Any, mailbox: Any
) -> None:
    admin = _admin_client(app, make_user)
    token = csrf_token(admin, "/admin/users/new")
    created = admin.post(
        "/admin/users/new",
        data={
            "email": "Nadia.Novak@Example.com",
            "name": "Nadia Novak",
            "role": "agent",
            "time_zone": "Europe/Prague",
            "csrf_token": token,
        },
    )
    # No password is shown to the admin: the user's page says the invitation is on its way.
    assert created.status_code == 302
    user_page = admin.get(created.headers["Location"]).get_data(as_text=True)
    assert "an invitation is on its way to nadia.novak@example.com" in user_page
    assert "generated-password" not in user_page

    _sent(app, 1)
    [mail] = mailbox.received()
    assert mail["To"] == "nadia.novak@example.com"
    assert mail["Subject"] == "You are invited to Rapport"
    link = _link(mail)
    assert link.startswith("/invitation/")

    newcomer = app.test_client()
    form = newcomer.get(link)
    assert form.status_code == 200
    assert "Welcome, Nadia Novak" in form.get_data(as_text=True)
    # The usual password rules, on the field; nothing is saved.
    too_short = newcomer.post(
        link,
        data={"password": "short", "confirm": "short", "csrf_token": csrf_token(newcomer, link)},
    )
    assert too_short.status_code == 422
    assert 'id="password-error">Use at least' in too_short.get_data(as_text=True)
    differ = newcomer.post(
        link,
        data={
            "password": "a long passphrase",
            "confirm": "another passphrase",
            "csrf_token": csrf_token(newcomer, link),
        },
    )
    assert differ.status_code == 422
    assert "The passwords differ." in differ.get_data(as_text=True)

    chosen = "correct horse battery"
    done = newcomer.post(
        link, data={"password": chosen, "confirm": chosen, "csrf_token": csrf_token(newcomer, link)}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert login(newcomer, "nadia.novak@example.com", chosen).status_code == 302
    assert "Nadia Novak" in newcomer.get("/").get_data(as_text=True)

    # The link works once.
    again = app.test_client().get(link)
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)


def test_admin_resends_and_an_expired_or_forged_link_shows_a_clear_page(
    app: Flask, make_user: Any, worker: Any, mailbox: Any
) -> None:
    admin = _admin_client(app, make_user)
    invited = make_user(Role.AGENT, name="Ivo Invited")

    # A link issued longer ago than the expiry (72 h by default) is refused, and says so.
    with app.app_context():
        user = db.session.get(User, invited.id)
        assert user is not None
        old = ManualClock(SystemClock().now() - timedelta(hours=73))
        stale = invitations.token_for(settings(), user, clock=old)
        fresh = invitations.token_for(settings(), user, clock=SystemClock())
    expired = app.test_client().get(f"/invitation/{stale}")
    assert expired.status_code == 410
    assert "The invitation has expired" in expired.get_data(as_text=True)
    assert app.test_client().get(f"/invitation/{fresh}").status_code == 200
    forged = app.test_client().get(f"/invitation/{fresh[:-3]}xyz")
    assert forged.status_code == 404
    assert "not valid" in forged.get_data(as_text=True)

    edit_page = admin.get(f"/admin/users/{invited.id}").get_data(as_text=True)
    assert "Send a new invitation" in edit_page
    resent = admin.post(
        f"/admin/users/{invited.id}/invite",
        data={"csrf_token": csrf_token(admin, f"/admin/users/{invited.id}")},
    )
    assert resent.status_code == 302
    _sent(app, 1)
    [mail] = mailbox.received()
    assert mail["To"] == invited.email
    assert app.test_client().get(_link(mail)).status_code == 200
    # The outbox page names the cause in words.
    assert "Invitation to choose a password" in admin.get("/admin/outbox").get_data(as_text=True)


def test_expiry_is_read_against_the_clock(app: Flask, make_user: Any) -> None:
    invited = make_user(Role.AGENT)
    clock = ManualClock()
    config = invitations.InvitationSettings(secret_key="k", expiry=timedelta(hours=72))
    with app.app_context():
        user = db.session.get(User, invited.id)
        assert user is not None
        token = invitations.token_for(config, user, clock=clock)
        clock.advance(timedelta(hours=71, minutes=59))
        assert invitations.user_for(db.session, config, token, clock=clock).id == invited.id
        clock.advance(timedelta(minutes=2))
        with pytest.raises(invitations.InvitationRefused) as expired:
            invitations.user_for(db.session, config, token, clock=clock)
        assert expired.value.reason == "expired"
        other = invitations.InvitationSettings(secret_key="other", expiry=timedelta(hours=72))
        with pytest.raises(invitations.InvitationRefused) as forged:
            invitations.user_for(db.session, other, token, clock=clock)
        assert forged.value.reason == "invalid"
