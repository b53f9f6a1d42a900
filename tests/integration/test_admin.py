"""The admin pages — users, teams, the outbox — through HTTP, on the real database, Redis,
worker and SMTP server."""

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import redis
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import (
    CustomFieldDefinition,
    LifecycleStage,
    OutboxMessage,
    OutboxStatus,
    Role,
    Team,
    TeamMembership,
    User,
)
from tests.conftest import csrf_token, login
from tests.services import wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import custom_fields
from workflows.platform import accounts
from workflows.platform.outbox import message_id_for
from workflows.tracking import calendars, sla_policies

# ---------------------------------------------------------------- helpers


class _FormReader(HTMLParser):
    """The values a browser would submit from a page's first form with a `version` or the
    named fields: inputs, checked boxes and selected options. The app header's global search
    box is not the page's form: it is skipped."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._select: str | None = None
        self._in_app_header = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "header" and a.get("class") == "app":
            self._in_app_header = True
        if self._in_app_header:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = a.get("value") or "y"
            else:
                self.values.setdefault(name, a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values.setdefault(self._select, a.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "header":
            self._in_app_header = False
        if tag == "select":
            self._select = None


def form_values(html: str) -> dict[str, Any]:
    reader = _FormReader()
    reader.feed(html)
    return reader.values


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.fixture
def admin(make_user: Any) -> User:
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def admin_client(app: Flask, admin: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, admin.email).status_code == 302
    return client


def _user(app: Flask, **where: Any) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(**where))
        if user is not None:
            db.session.expunge(user)
        return user


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- users


# Creating a user (an invitation email, no password shown): tests/integration/test_invitations.py


@pytest.mark.parametrize(
    ("path", "post_to", "prefix"),
    [("/admin/users/new", "/admin/users/new", ""), ("/account", "/account/profile", "profile-")],
)
def test_time_zone_is_typed_with_suggestions_and_checked_on_the_server(
    app: Flask, admin_client: FlaskClient, path: str, post_to: str, prefix: str
) -> None:
    html = page(admin_client, path)
    zone = f"{prefix}time_zone"
    # A text box with the IANA zones as a datalist: the browser filters them as one types.
    assert f'list="{zone}-zones"' in html
    assert f'<datalist id="{zone}-zones">' in html and '<option value="Europe/Berlin">' in html
    values = form_values(html)
    values.update(
        {
            "csrf_token": csrf_token(admin_client, path),
            "email": "zoe@example.com",
            "name": "Zoe Zone",
            "role": "agent",
            f"{prefix}name": "Ada Renamed",
            zone: "Europe/Atlantis",
        }
    )
    before = _count(app, User)
    response = admin_client.post(post_to, data=values)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{zone}-error"' in body and "“Europe/Atlantis” is not a time zone" in body
    assert _count(app, User) == before
    assert _user(app, email="zoe@example.com") is None
    assert _user(app, name="Ada Renamed") is None

    # Spaces around a zone typed by hand are not an error.
    values[zone] = " Asia/Tokyo "
    assert admin_client.post(post_to, data=values).status_code in (200, 302)
    saved = _user(app, email="zoe@example.com") or _user(app, name="Ada Renamed")
    assert saved is not None and saved.time_zone == "Asia/Tokyo"


def test_admin_changes_role_and_time_zone(
    app: Flask, admin_client: FlaskClient, make_user: Any
) -> None:
    agent = make_user(Role.AGENT, name="Tom Agent")
    values = form_values(page(admin_client, f"/admin/users/{agent.id}"))
    assert values["role"] == "agent"
    assert values["time_zone"] == "UTC"
    values.update(role="supervisor", time_zone="Asia/Tokyo")

    response = admin_client.post(f"/admin/users/{agent.id}", data=values)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"

    saved = _user(app, id=agent.id)
    assert (saved.role, saved.time_zone, saved.is_active) == (Role.SUPERVISOR, "Asia/Tokyo", True)
    listing = page(admin_client, "/admin/users")
    assert "Tom Agent is saved." in listing
    assert "Asia/Tokyo" in listing


def test_deactivated_user_can_no_longer_sign_in(
    app: Flask, admin_client: FlaskClient, make_user: Any
) -> None:
    agent = make_user(Role.AGENT)
    values = form_values(page(admin_client, f"/admin/users/{agent.id}"))
    del values["is_active"]  # an unchecked box is not submitted
    assert admin_client.post(f"/admin/users/{agent.id}", data=values).status_code == 302
    assert _user(app, id=agent.id).is_active is False
    assert login(app.test_client(), agent.email).status_code == 401


def test_reset_password_shows_a_new_one_and_ends_their_sessions(
    app: Flask, admin_client: FlaskClient, make_user: Any
) -> None:
    agent = make_user(Role.AGENT)
    their_browser = app.test_client()
    login(their_browser, agent.email)
    token = csrf_token(admin_client, f"/admin/users/{agent.id}")
    path = f"/admin/users/{agent.id}/reset-password"
    asked = admin_client.post(path, data={"csrf_token": token})  # it asks first
    assert "Replace the password of" in asked.get_data(as_text=True)
    assert their_browser.get("/").status_code == 200  # nothing happened yet
    response = admin_client.post(path, data={"csrf_token": token, "confirmed": "yes"})
    assert response.status_code == 200
    password = response.get_data(as_text=True).split('id="generated-password">')[1].split("<")[0]
    assert their_browser.get("/").status_code == 302  # signed out
    assert login(app.test_client(), agent.email).status_code == 401
    assert login(app.test_client(), agent.email, password.strip()).status_code == 302


def test_stale_edit_gets_409_showing_both_versions_and_loses_nothing(
    app: Flask, make_user: Any
) -> None:
    target = make_user(Role.AGENT, name="Tom Agent")
    first_admin, second_admin = make_user(Role.ADMIN), make_user(Role.ADMIN)
    first, second = app.test_client(), app.test_client()
    login(first, first_admin.email)
    login(second, second_admin.email)
    path = f"/admin/users/{target.id}"
    first_form = form_values(page(first, path))
    second_form = form_values(page(second, path))
    assert first_form["version"] == second_form["version"]

    first_form.update(name="Thomas Agent", time_zone="Europe/Paris")
    assert first.post(path, data=first_form).status_code == 302

    second_form.update(role="supervisor", time_zone="Asia/Tokyo")
    conflict = second.post(path, data=second_form)
    assert conflict.status_code == 409
    html = conflict.get_data(as_text=True)
    # Theirs: the form now holds the saved version, with its new version number.
    shown = form_values(html)
    assert (shown["name"], shown["time_zone"], shown["role"]) == (
        "Thomas Agent",
        "Europe/Paris",
        "agent",
    )
    assert int(shown["version"]) > int(second_form["version"])
    # Mine: each entry that differs is listed beside the saved value.
    assert "changed since you loaded it" in html
    assert "Your entries were not saved." in html
    assert '<th scope="row">Role</th><td>supervisor</td><td>agent</td>' in html
    assert '<th scope="row">Time zone</th><td>Asia/Tokyo</td><td>Europe/Paris</td>' in html
    assert '<th scope="row">Active (can sign in)</th>' not in html  # unchanged: not listed

    # The first save is intact; the second admin can apply her entries on the fresh form.
    saved = _user(app, id=target.id)
    assert (saved.name, saved.time_zone, saved.role) == ("Thomas Agent", "Europe/Paris", Role.AGENT)
    shown.update(role="supervisor", time_zone="Asia/Tokyo")
    assert second.post(path, data=shown).status_code == 302
    saved = _user(app, id=target.id)
    assert (saved.name, saved.time_zone, saved.role) == (
        "Thomas Agent",
        "Asia/Tokyo",
        Role.SUPERVISOR,
    )


def test_duplicate_email_is_refused_on_the_field_with_422(
    app: Flask, admin_client: FlaskClient, make_user: Any
) -> None:
    make_user(Role.AGENT, email="ana@example.com")
    before = _count(app, User)
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": "ANA@example.com",
            "name": "Another Ana",
            "role": "agent",
            "time_zone": "UTC",
            "csrf_token": csrf_token(admin_client, "/admin/users/new"),
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="email-error">A user with this email already exists.' in html
    assert 'value="Another Ana"' in html  # the other entries are kept
    assert _count(app, User) == before


# ---------------------------------------------------------------- teams


def test_duplicate_team_name_is_refused_on_the_field_with_422(
    app: Flask, admin_client: FlaskClient
) -> None:
    token = csrf_token(admin_client, "/admin/teams")
    created = admin_client.post("/admin/teams", data={"name": "Support", "csrf_token": token})
    assert created.status_code == 302

    response = admin_client.post("/admin/teams", data={"name": " support ", "csrf_token": token})
    assert response.status_code == 422
    assert 'id="name-error">A team with this name already exists.' in response.get_data(
        as_text=True
    )
    assert _count(app, Team) == 1


def test_team_members_and_supervisors_are_saved(
    app: Flask, admin_client: FlaskClient, make_user: Any
) -> None:
    ann = make_user(Role.AGENT, name="Ann Agent")
    bob = make_user(Role.AGENT, name="Bob Agent")
    sue = make_user(Role.SUPERVISOR, name="Sue Supervisor")
    token = csrf_token(admin_client, "/admin/teams")
    created = admin_client.post("/admin/teams", data={"name": "Billing", "csrf_token": token})
    assert created.status_code == 302
    edit_path = created.headers["Location"]

    # A supervisor need not be ticked as a member too.
    saved = admin_client.post(
        edit_path,
        data={"members": [ann.id, bob.id], "supervisors": [sue.id], "csrf_token": token},
    )
    assert saved.status_code == 302
    assert _memberships(app, "Billing") == {ann.id: False, bob.id: False, sue.id: True}
    listing = page(admin_client, "/admin/teams")
    assert "Team Billing is saved." in listing
    assert "Sue Supervisor" in listing

    # The edit page shows what is saved; a second save replaces it.
    html = page(admin_client, edit_path)
    # Supervisors are members too, so Sue is ticked in both lists.
    assert _selected(html, "members") == [str(ann.id), str(bob.id), str(sue.id)]
    assert _selected(html, "supervisors") == [str(sue.id)]
    saved = admin_client.post(
        edit_path, data={"members": [ann.id, sue.id], "supervisors": [ann.id], "csrf_token": token}
    )
    assert saved.status_code == 302
    assert _memberships(app, "Billing") == {ann.id: True, sue.id: False}


def test_saving_a_team_keeps_its_inactive_members(
    app: Flask, admin_client: FlaskClient, make_user: Any
) -> None:
    ann = make_user(Role.AGENT, name="Ann Agent")
    gone = make_user(Role.AGENT, name="Gus Gone")
    token = csrf_token(admin_client, "/admin/teams")
    edit_path = admin_client.post(
        "/admin/teams", data={"name": "Billing", "csrf_token": token}
    ).headers["Location"]
    admin_client.post(edit_path, data={"members": [ann.id, gone.id], "csrf_token": token})
    values = form_values(page(admin_client, f"/admin/users/{gone.id}"))
    del values["is_active"]
    assert admin_client.post(f"/admin/users/{gone.id}", data=values).status_code == 302

    # The page offers the inactive member (marked), so saving the team does not drop him.
    html = page(admin_client, edit_path)
    assert "Gus Gone (agent, inactive)" in html
    # A checkbox list, not a multiple select: a plain click cannot drop the other members.
    assert 'type="checkbox"' in html and "<select" not in html.split("<main", 1)[-1]
    picked = [int(v) for v in _selected(html, "members")]
    assert sorted(picked) == sorted([ann.id, gone.id])
    saved = admin_client.post(
        edit_path, data={"members": picked, "supervisors": [ann.id], "csrf_token": token}
    )
    assert saved.status_code == 302
    assert _memberships(app, "Billing") == {ann.id: True, gone.id: False}


def _selected(html: str, name: str) -> list[str]:
    """The values of the ticked checkboxes named `name`, in page order."""
    picked = []
    for tag in html.split("<input")[1:]:
        tag = tag.split(">", 1)[0]
        if f'name="{name}"' in tag and 'type="checkbox"' in tag and " checked" in f" {tag}":
            picked.append(tag.split('value="', 1)[1].split('"', 1)[0])
    return picked


def _memberships(app: Flask, team_name: str) -> dict[int, bool]:
    with app.app_context():
        rows = db.session.execute(
            select(TeamMembership.user_id, TeamMembership.is_supervisor)
            .join(Team)
            .where(Team.name == team_name)
        )
        return {user_id: is_supervisor for user_id, is_supervisor in rows}


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
def test_every_admin_page_is_403_below_admin(
    app: Flask, client: FlaskClient, make_user: Any, role: Role
) -> None:
    victim = make_user(Role.AGENT)
    user = make_user(role)
    team_id, message_id = _a_team_and_a_message(app)
    field_id, stage_id = _a_field_and_a_stage(app)
    calendar_id, policy_id = _a_calendar_and_a_policy(app)
    ids = {
        "user_id": victim.id,
        "team_id": team_id,
        "message_id": message_id,
        "field_id": field_id,
        "stage_id": stage_id,
        "calendar_id": calendar_id,
        "policy_id": policy_id,
        "category_id": 1,  # none needed: the role is checked before the row is loaded
    }
    login(client, user.email)
    token = csrf_token(client, "/account")  # so POSTs reach the role check, not the CSRF one

    # Supervisors manage SLA policies (tests/integration/test_admin_sla_pages.py).
    requests = [
        r
        for r in _admin_requests(app, ids)
        if not (role == Role.SUPERVISOR and r[0] in SUPERVISOR_PAGES)
    ]
    endpoints = {endpoint for endpoint, _, _ in requests}
    assert {"admin.users", "admin.new_user", "admin.edit_user", "admin.reset_password"} <= endpoints
    assert {"admin.teams", "admin.edit_team", "admin.outbox", "admin.retry_message"} <= endpoints
    assert "admin.send_test_email" in endpoints
    assert {"admin.custom_field_list", "admin.edit_custom_field"} <= endpoints
    assert {"admin.stage_list", "admin.edit_stage"} <= endpoints
    for endpoint, method, url in requests:
        data = {"csrf_token": token, "name": "x", "to_address": "x@example.com"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (endpoint, method, url, response.status_code)
        assert "Not allowed" in response.get_data(as_text=True)

    # Nothing was changed on the way.
    assert _count(app, OutboxMessage) == 1
    assert _count(app, Team) == 1
    assert _count(app, LifecycleStage) == 4
    assert _count(app, CustomFieldDefinition) == 1
    assert login(app.test_client(), victim.email).status_code == 302


SUPERVISOR_PAGES = {
    "admin.sla_policy_list",
    "admin.new_sla_policy",
    "admin.edit_sla_policy",
    "admin.move_sla_policy",
    "admin.sla_policy_versions",
    "admin.sla_policy_dry_run",
    "admin.apply_sla_policy",
    "admin.sla_policy_progress",
    "admin.sla_policy_status",
}


def _a_calendar_and_a_policy(app: Flask) -> tuple[int, int]:
    with app.app_context():
        periods = [{"weekday": 0, "start": "09:00", "end": "17:00"}]
        data = {"name": "Office", "time_zone": "UTC", "periods": periods}
        calendar = calendars.create(db.session, data, clock=current_clock())
        targets = {"default": {"resolution": 60}}
        data = {"name": "Gold", "calendar_id": calendar.id, "targets": targets}
        policy = sla_policies.create(db.session, data, actor=None, clock=current_clock())
        db.session.commit()
        return calendar.id, policy.id


def _admin_requests(app: Flask, ids: dict[str, int]) -> Any:
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            url = url_for(rule.endpoint, **{arg: ids[arg] for arg in rule.arguments})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, url


def _a_team_and_a_message(app: Flask) -> tuple[int, int]:
    with app.app_context():
        team = accounts.create_team(db.session, "Existing", clock=current_clock())
        message = _outbox_row(OutboxStatus.DEAD, "An old one")
        db.session.commit()
        return team.id, message.id


def _a_field_and_a_stage(app: Flask) -> tuple[int, int]:
    with app.app_context():
        field = custom_fields.define_field(
            db.session,
            entity="customer",
            key="plan",
            label="Plan",
            kind="text",
            clock=current_clock(),
        )
        stage_id = db.session.scalar(select(LifecycleStage.id).limit(1))
        db.session.commit()
        return field.id, stage_id


# ---------------------------------------------------------------- outbox


def _outbox_row(status: OutboxStatus, subject: str, **values: Any) -> OutboxMessage:
    """A message that reached `status` earlier (written directly: no send is published)."""
    now = current_clock().now()
    key = f"test:{subject}"
    row = OutboxMessage(
        idempotency_key=key,
        cause="test",
        to_address=values.pop("to_address", "ana@example.com"),
        subject=subject,
        body_text="Hello.",
        message_id=message_id_for(key, "example.com"),
        status=status,
        attempts=values.pop("attempts", 0),
        max_attempts=5,
        next_attempt_at=now,
        created_at=now - timedelta(hours=1),
        **values,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _status(app: Flask, message_id: int) -> OutboxStatus:
    with app.app_context():
        return db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))


def _queue_drained(app: Flask) -> bool:
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    return client.llen("outbox") == 0 and not client.hlen("unacked")


def test_outbox_page_filters_by_status(app: Flask, admin_client: FlaskClient) -> None:
    with app.app_context():
        _outbox_row(OutboxStatus.SENT, "Welcome aboard", sent_at=current_clock().now())
        _outbox_row(
            OutboxStatus.DEAD,
            "Your invoice",
            attempts=5,
            last_error="SMTPRecipientsRefused: mailbox full",
        )
        _outbox_row(OutboxStatus.PENDING, "Reminder")
        db.session.commit()

    everything = page(admin_client, "/admin/outbox")
    assert all(s in everything for s in ("Welcome aboard", "Your invoice", "Reminder"))
    dead = page(admin_client, "/admin/outbox?status=dead")
    assert "Your invoice" in dead
    assert "mailbox full" in dead
    assert "Welcome aboard" not in dead
    assert "Reminder" not in dead
    sent = page(admin_client, "/admin/outbox?status=sent")
    assert "Welcome aboard" in sent
    assert "Your invoice" not in sent
    assert "No messages with status suppressed." in page(
        admin_client, "/admin/outbox?status=suppressed"
    )


def test_retry_requeues_a_dead_message_which_a_worker_sends(
    app: Flask, admin_client: FlaskClient, worker: Any, mailbox: Any
) -> None:
    with app.app_context():
        row = _outbox_row(
            OutboxStatus.DEAD, "Your invoice", attempts=5, last_error="SMTPServerDisconnected"
        )
        db.session.commit()
        message_id, header_id = row.id, row.message_id
    dead_page = page(admin_client, "/admin/outbox?status=dead")
    assert f"/admin/outbox/{message_id}/retry" in dead_page

    response = admin_client.post(
        f"/admin/outbox/{message_id}/retry",
        data={"csrf_token": form_values(dead_page)["csrf_token"]},
        headers={"Referer": "/admin/outbox?status=dead"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/outbox?status=dead"

    wait_until(lambda: _status(app, message_id) == OutboxStatus.SENT, timeout=10)
    wait_until(lambda: _queue_drained(app), timeout=10)
    received = mailbox.received()
    assert [m["Message-ID"] for m in received] == [header_id]
    assert received[0]["Subject"] == "Your invoice"
    sent_page = page(admin_client, "/admin/outbox?status=sent")
    assert "Your invoice" in sent_page
    assert f"/admin/outbox/{message_id}/retry" not in sent_page


def test_send_test_email_delivers_exactly_one(
    app: Flask, admin_client: FlaskClient, worker: Any, mailbox: Any
) -> None:
    token = csrf_token(admin_client, "/admin/outbox")
    response = admin_client.post(
        "/admin/outbox/test", data={"to_address": "ops@example.com", "csrf_token": token}
    )
    assert response.status_code == 302
    assert "Test email queued" in page(admin_client, "/admin/outbox")

    with app.app_context():
        message_id = db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.cause == "admin:test-email")
        )
    wait_until(lambda: _status(app, message_id) == OutboxStatus.SENT, timeout=10)
    wait_until(lambda: _queue_drained(app), timeout=10)
    received = mailbox.received()
    assert len(received) == 1
    assert received[0]["To"] == "ops@example.com"
    assert received[0]["Subject"] == "Rapport test email"
    assert _count(app, OutboxMessage) == 1


def test_send_test_email_to_an_invalid_address_queues_nothing(
    app: Flask, admin_client: FlaskClient
) -> None:
    token = csrf_token(admin_client, "/admin/outbox")
    response = admin_client.post(
        "/admin/outbox/test", data={"to_address": "not an address", "csrf_token": token}
    )
    assert response.status_code == 302
    assert "Enter a valid email address" in page(admin_client, "/admin/outbox")
    assert _count(app, OutboxMessage) == 0
