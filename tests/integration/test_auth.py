"""Sign-in, rate limits, CSRF, roles and API tokens against a real database and Redis."""

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import ApiToken, OutboxMessage, Role, User
from tests.conftest import PASSWORD, csrf_token, login
from web.extensions import db, redis_client
from workflows.platform import accounts
from workflows.platform.clock import SystemClock


def test_sign_in_leads_to_the_dashboard(client: FlaskClient, make_user) -> None:
    user = make_user(Role.AGENT, name="Ada Agent")
    response = login(client, user.email)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Dashboard" in page.get_data(as_text=True)
    assert "Ada Agent" in page.get_data(as_text=True)


def test_wrong_password_gets_a_clear_message(client: FlaskClient, make_user) -> None:
    user = make_user()
    response = login(client, user.email, "not the password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_unknown_email_gets_the_same_message(client: FlaskClient) -> None:
    response = login(client, "nobody@example.com", "whatever it is")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_wrong_passwords_back_off_progressively_and_tell_the_owner(
    app: Flask, client: FlaskClient, make_user
) -> None:
    user = make_user()
    statuses = [login(client, user.email, "wrong").status_code for _ in range(5)]
    assert statuses == [401] * 5
    page = login(client, user.email, PASSWORD)
    assert page.status_code == 429, "waiting, even with the right password"
    assert "wait 1 second" in page.get_data(as_text=True)
    key = f"login-backoff:{user.email}"
    with app.app_context():
        redis = redis_client(app)
        redis.hset(key, "last", float(redis.hget(key, "last")) - 1.5)  # as if 1.5 s passed
        notices = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.cause == "login-backoff")
        ).all()
        assert [m.to_address for m in notices] == [user.email]
    assert login(client, user.email, PASSWORD).status_code == 302  # no 15-minute lockout
    with app.app_context():
        assert not redis_client(app).exists(key)  # a success resets the count


def test_many_failures_from_one_ip_across_accounts_get_429(app: Flask, client: FlaskClient) -> None:
    limit = int(app.config["LOGIN_LIMIT_PER_IP"].split()[0])
    statuses = [
        login(client, f"nobody{n}@example.com", "wrong").status_code for n in range(limit + 1)
    ]
    assert statuses[:limit] == [401] * limit
    assert statuses[limit] == 429


def test_successful_logins_are_not_counted(client: FlaskClient, make_user) -> None:
    user = make_user()
    for _ in range(7):
        assert login(client, user.email).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_form_post_without_csrf_token_is_400(client: FlaskClient, make_user) -> None:
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_agent_opening_an_admin_page_gets_403_html(client: FlaskClient, make_user) -> None:
    user = make_user(Role.AGENT)
    login(client, user.email)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "Not allowed" in response.get_data(as_text=True)


def test_signed_out_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, make_user) -> None:
    user = make_user()
    response = login(client, user.email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_secure_cookie_when_configured(session_app: Flask) -> None:
    from web import create_app

    app = create_app({**_config_of(session_app), "SECURE_COOKIES": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def _config_of(app: Flask) -> dict:
    keys = ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "SMTP_PORT")
    return {k: app.config[k] for k in keys}


def test_password_is_stored_as_argon2_hash(in_app: Flask, make_user) -> None:
    user = make_user()
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_changing_the_password_ends_other_sessions(app: Flask, make_user) -> None:
    user = make_user()
    first, second = app.test_client(), app.test_client()
    login(first, user.email)
    login(second, user.email)
    response = first.post(
        "/account/password",
        data={
            "password-current_password": PASSWORD,
            "password-new_password": "a brand new secret",
            "password-confirm": "a brand new secret",
            "password-csrf_token": csrf_token(first, "/account"),
        },
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302


# ---------------------------------------------------------------- API tokens


def _token_for(app: Flask, user: User, name: str = "script") -> str:
    with app.app_context():
        issued = accounts.issue_token(
            db.session, db.session.get(User, user.id), name, clock=SystemClock()
        )
        db.session.commit()
        return issued.secret


def test_api_without_token_is_401_problem_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_api_with_a_token_knows_the_caller(app: Flask, client: FlaskClient, make_user) -> None:
    user = make_user(Role.SUPERVISOR)
    secret = _token_for(app, user)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email
    assert response.get_json()["role"] == "supervisor"


def test_api_with_a_revoked_token_is_401(app: Flask, client: FlaskClient, make_user) -> None:
    user = make_user()
    secret = _token_for(app, user)
    headers = {"Authorization": f"Bearer {secret}"}
    token_id = client.get("/api/v1/tokens", headers=headers).get_json()[0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_api_with_a_made_up_token_is_401(client: FlaskClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer rpt_madeup"})
    assert response.status_code == 401


def test_token_is_stored_only_as_a_digest(in_app: Flask, make_user) -> None:
    user = make_user()
    secret = _token_for(in_app, user)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert secret not in (row.token_digest, row.prefix, row.name)
    assert secret.startswith(row.prefix)
    assert len(row.token_digest) == 64


def test_token_created_through_the_api_is_shown_once(
    app: Flask, client: FlaskClient, make_user
) -> None:
    user = make_user()
    headers = {"Authorization": f"Bearer {_token_for(app, user)}"}
    created = client.post("/api/v1/tokens", json={"name": "billing sync"}, headers=headers)
    assert created.status_code == 201
    secret = created.get_json()["token"]
    listed = client.get("/api/v1/tokens", headers=headers).get_json()
    assert all("token" not in t for t in listed)
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )


def test_api_validation_error_names_the_field(app: Flask, client: FlaskClient, make_user) -> None:
    user = make_user()
    headers = {"Authorization": f"Bearer {_token_for(app, user)}"}
    response = client.post("/api/v1/tokens", json={"name": ""}, headers=headers)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "name" in response.get_json()["errors"]


def test_token_created_in_the_ui_is_shown_once_and_revocable(
    client: FlaskClient, make_user
) -> None:
    user = make_user()
    login(client, user.email)
    page = client.post(
        "/account/tokens",
        data={"token-name": "zapier", "token-csrf_token": csrf_token(client, "/account")},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    secret = html.split('id="token-secret">')[1].split("<")[0].strip()
    assert secret.startswith("rpt_")
    assert secret not in client.get("/account").get_data(as_text=True)
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
