"""Irreversible actions ask first on a page when JavaScript is off: the POST without
`confirmed=yes` changes nothing and shows what will happen; the confirmation posts it again."""

from typing import Any

from flask import Flask

from models import ApiToken, RetentionPolicy, Role, Strategy, User
from tests.conftest import csrf_token
from tests.integration.test_customer_pages import form_values, signed_in, text_of
from tests.outreach_helpers import make_strategy
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import SystemClock
from workflows.privacy import retention


def test_revoking_a_token_asks_first(app: Flask, make_user: Any) -> None:
    user = make_user(Role.AGENT, name="Alma Agent")
    with app.app_context():
        token_id = accounts.issue_token(
            db.session, db.session.get(User, user.id), "nightly sync", clock=SystemClock()
        ).token.id
        db.session.commit()
    client = signed_in(app, user)
    path = f"/account/tokens/{token_id}/revoke"
    asked = client.post(path, data={"csrf_token": csrf_token(client, "/account")})
    html = text_of(asked)
    assert asked.status_code == 200 and "Revoke the token “nightly sync”?" in html
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None
    assert client.post(path, data=form_values(html)).status_code == 302
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None


def test_deleting_a_retention_policy_asks_first(app: Flask, make_user: Any) -> None:
    with app.app_context():
        policy_id = retention.save(
            db.session,
            {"target": "communications", "channel": "email", "months": "12", "action": "delete"},
            clock=SystemClock(),
        ).id
        db.session.commit()
    client = signed_in(app, make_user(Role.ADMIN))
    path = f"/admin/retention/{policy_id}"
    token = csrf_token(client, "/admin/retention")
    asked = client.post(path, data={"csrf_token": token, "action": "delete"})
    html = text_of(asked)
    assert asked.status_code == 200 and "Delete the 12-month retention policy" in html
    with app.app_context():
        assert db.session.get(RetentionPolicy, policy_id) is not None
    assert client.post(path, data=form_values(html)).status_code == 302
    with app.app_context():
        assert db.session.get(RetentionPolicy, policy_id) is None


def test_archiving_a_strategy_asks_first(app: Flask, make_user: Any) -> None:
    with app.app_context():
        strategy_id = make_strategy(db.session, SystemClock()).id
        db.session.commit()
    client = signed_in(app, make_user(Role.SUPERVISOR))
    path = f"/strategies/{strategy_id}/archive"
    token = csrf_token(client, f"/strategies/{strategy_id}")
    asked = client.post(path, data={"csrf_token": token})
    html = text_of(asked)
    assert asked.status_code == 200 and "Archive the strategy “Strategy outreach”?" in html
    assert "cannot be started again" in html
    with app.app_context():
        assert db.session.get(Strategy, strategy_id).status != "archived"
    assert client.post(path, data=form_values(html)).status_code == 302
    with app.app_context():
        assert db.session.get(Strategy, strategy_id).status == "archived"
