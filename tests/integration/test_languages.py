# ruff: noqa: RUF001 - the Chinese text uses fullwidth punctuation, as Chinese does
"""Which language a page is shown in: the user's setting, else Accept-Language, else the default."""

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from models import User
from tests.conftest import csrf_token, login
from web.clocks import current_clock
from web.extensions import db
from web.i18n import duration, money, number
from workflows.customers.queries import MAX_LIMIT, SORTS
from workflows.platform import accounts


def _set_language(app: Flask, user: User, language: str) -> None:
    with app.app_context():
        db.session.get(User, user.id).language = language
        db.session.commit()


def test_signed_out_pages_follow_accept_language(client: FlaskClient) -> None:
    chinese = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    html = chinese.get_data(as_text=True)
    assert '<html lang="zh-Hans"' in html
    assert "跳到正文" in html

    english = client.get("/login", headers={"Accept-Language": "fr-FR, en;q=0.5"}).get_data(
        as_text=True
    )
    assert '<html lang="en"' in english
    assert "Skip to content" in english


def test_an_unsupported_accept_language_gets_the_configured_default(make_app: Any) -> None:
    other = make_app(DEFAULT_LANGUAGE="zh-CN")
    html = (
        other.test_client().get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    )
    assert '<html lang="zh-Hans"' in html


def test_the_users_setting_wins_over_accept_language(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    user = make_user()
    _set_language(app, user, "zh_Hans")
    login(client, user.email)

    html = client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert ">客户</a>" in html
    assert ">退出登录</button>" in html
    assert ">客服</span>" in html  # the role badge

    _set_language(app, user, "en")
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert ">Customers</a>" in html


def test_the_language_menu_saves_a_signed_in_users_choice(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    user = make_user()
    login(client, user.email)
    page = client.get("/customers", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    page = page.get_data(as_text=True)
    assert 'action="/language"' in page and 'value="zh_Hans"' in page

    token = csrf_token(client, "/account")
    response = client.post(
        "/language", data={"language": "zh_Hans", "next": "/customers?q=x", "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/customers?q=x"
    with app.app_context():
        assert db.session.get(User, user.id).language == "zh_Hans"
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">工作台</a>" in html


def test_the_language_menu_needs_its_csrf_token_and_stays_on_this_site(
    client: FlaskClient,
) -> None:
    assert client.post("/language", data={"language": "zh_Hans"}).status_code == 400
    token = csrf_token(client)
    for bad in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            "/language", data={"language": "zh_Hans", "next": bad, "csrf_token": token}
        )
        assert response.headers["Location"] == "/", bad


def test_signed_out_visitors_keep_their_choice_in_a_cookie(client: FlaskClient) -> None:
    token = csrf_token(client)
    client.post("/language", data={"language": "zh_Hans", "next": "/login", "csrf_token": token})
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hans"' in html

    client.post("/language", data={"language": "en", "next": "/login", "csrf_token": token})
    html = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en"' in html


def test_a_user_who_never_chose_follows_the_browser(client: FlaskClient, make_user: Any) -> None:
    user = make_user()
    login(client, user.email)
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="zh-Hans"' in html


def test_the_account_page_and_the_admin_set_the_language(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    admin = make_user("admin")
    agent = make_user()
    login(client, admin.email)
    with app.app_context():
        version = db.session.get(User, agent.id).version
    token = csrf_token(client, f"/admin/users/{agent.id}")
    response = client.post(
        f"/admin/users/{agent.id}",
        data={
            "csrf_token": token,
            "version": version,
            "name": agent.name,
            "role": "agent",
            "time_zone": "Asia/Shanghai",
            "language": "zh_Hans",
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, agent.id).language == "zh_Hans"

    with app.app_context():
        version = db.session.get(User, admin.id).version
    response = client.post(
        "/account/profile",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "profile-version": version,
            "profile-name": admin.name,
            "profile-time_zone": "UTC",
            "profile-language": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, admin.id).language is None
    bad = client.post(
        "/account/profile",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "profile-version": version,
            "profile-name": admin.name,
            "profile-time_zone": "UTC",
            "profile-language": "klingon",
        },
    )
    assert bad.status_code == 422


def _bearer(app: Flask, make_user: Any) -> dict[str, str]:
    """An Authorization header with a new user's API token."""
    user = make_user()
    with app.app_context():
        secret = accounts.issue_token(
            db.session, db.session.get(User, user.id), "i18n", clock=current_clock()
        ).secret
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_api_problems_keep_english_codes_and_speak_the_clients_language(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    bearer = _bearer(app, make_user)

    chinese = client.get(
        "/api/v1/requirements/999999", headers={**bearer, "Accept-Language": "zh-CN"}
    )
    assert chinese.status_code == 404
    assert chinese.mimetype == "application/problem+json"
    body = chinese.get_json()
    assert body["type"] == "about:blank" and body["status"] == 404
    assert body["title"] == "未找到"

    english = client.get("/api/v1/requirements/999999", headers=bearer).get_json()
    assert english["title"] == "Not Found"

    refused = client.post(
        "/api/v1/customers",
        data="name=x",
        content_type="text/plain",
        headers={**bearer, "Accept-Language": "zh-Hans-CN, en;q=0.5"},
    )
    assert refused.status_code == 415
    assert refused.get_json()["title"] == "不支持的媒体类型"
    assert (
        refused.get_json()["detail"] == "请以 application/json 格式发送请求体，而不是 text/plain。"
    )


def test_durations_money_and_numbers_in_the_viewers_locale(app: Flask) -> None:
    with app.test_request_context("/login", headers={"Accept-Language": "zh-CN"}):
        assert duration(2 * 86400 + 3 * 3600 + 59) == "2 天 3 小时"
        assert duration(3 * 3600 + 5 * 60) == "3 小时 5 分钟"
        assert duration(40) == "40 秒"
        assert money("1234.5", "CNY") == "¥1,234.50"
        assert money("1234.5", "USD") == "US$1,234.50"
        assert number(1234567) == "1,234,567"
    with app.test_request_context("/login", headers={"Accept-Language": "en"}):
        assert duration(2 * 86400 + 3 * 3600) == "2 d 3 h"
        assert money("1234.5", "CNY") == "CN¥1,234.50"
        unknown = money("5", "XQQ")  # a code Babel has no symbol for: written as the code
        assert "XQQ" in unknown and "5.00" in unknown


def test_api_schema_messages_speak_the_clients_language(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    """marshmallow's own messages (a query argument that is no number, out of range, not one of
    the choices) are in the client's language; without Accept-Language, marshmallow's English."""
    bearer = _bearer(app, make_user)
    path = "/api/v1/customers?owner_id=abc&limit=0&sort=height"

    english = client.get(path, headers=bearer)
    assert english.status_code == 422
    assert english.get_json()["errors"] == {
        "owner_id": ["Not a valid integer."],
        "limit": [f"Must be greater than or equal to 1 and less than or equal to {MAX_LIMIT}."],
        "sort": [f"Must be one of: {', '.join(SORTS)}."],
    }
    chinese = client.get(path, headers={**bearer, "Accept-Language": "zh-CN"})
    assert chinese.status_code == 422
    assert chinese.get_json()["errors"] == {
        "owner_id": ["不是有效的整数。"],
        "limit": [f"必须大于或等于 1 且小于或等于 {MAX_LIMIT}。"],
        "sort": [f"必须是以下之一：{', '.join(SORTS)}。"],
    }
