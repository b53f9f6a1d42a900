"""Which language a page is shown in: the user's setting, else Accept-Language, else the default."""

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from models import User
from tests.conftest import login
from web.extensions import db


def _set_language(app: Flask, user: User, language: str) -> None:
    with app.app_context():
        db.session.get(User, user.id).language = language
        db.session.commit()


def test_signed_out_pages_follow_accept_language(client: FlaskClient) -> None:
    chinese = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    html = chinese.get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert "跳到正文" in html

    english = client.get("/login", headers={"Accept-Language": "fr-FR, en;q=0.5"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in english
    assert "Skip to content" in english


def test_an_unsupported_accept_language_gets_the_configured_default(make_app: Any) -> None:
    other = make_app(DEFAULT_LANGUAGE="zh-CN")
    html = (
        other.test_client().get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    )
    assert '<html lang="zh-Hans">' in html


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
