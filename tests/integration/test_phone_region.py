"""RAPPORT_PHONE_REGION: a Chinese install reads 13800138000 as +86 138 0013 8000 and shows its
own region's numbers in national format; without the setting nothing changes."""

from typing import Any

import pytest
from flask import Flask

from models import Role, User
from tests.conftest import login
from web.extensions import db
from workflows.customers import phone_numbers
from workflows.platform import accounts
from workflows.platform.clock import SystemClock


def _api(app: Flask, token: str, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return app.test_client().open(f"/api/v1{path}", method=method, headers=headers, **kw)


@pytest.fixture
def token(app: Flask, make_user: Any) -> str:
    user = make_user(Role.AGENT, email="cn.agent@example.com")
    with app.app_context():
        issued = accounts.issue_token(
            db.session, db.session.get(User, user.id), "tests", clock=SystemClock()
        )
        db.session.commit()
        return issued.secret


def test_a_chinese_install_reads_and_shows_chinese_mobile_numbers(
    make_app: Any, token: str
) -> None:
    cn = make_app(PHONE_REGION="CN")
    created = _api(
        cn, token, "POST", "/customers", json={"name": "王芳", "phones": ["139-1234-5678"]}
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["phones"] == ["+8613912345678"]  # the API keeps E.164
    germans = _api(
        cn, token, "POST", "/customers", json={"name": "Jonas", "phones": ["+49 30 123456"]}
    )
    assert germans.status_code == 201
    client = cn.test_client()
    assert login(client, "cn.agent@example.com").status_code == 302
    page = client.get(f"/customers/{created.get_json()['id']}").get_data(as_text=True)
    assert "139 1234 5678" in page
    assert "+8613912345678" in page  # the tel: link
    listing = client.get("/customers").get_data(as_text=True)
    assert "139 1234 5678" in listing
    assert "+49 30 123456" in listing  # another region's number: international


def test_without_a_region_a_number_needs_its_country_code(app: Flask, token: str) -> None:
    refused = _api(
        app, token, "POST", "/customers", json={"name": "王芳", "phones": ["13912345678"]}
    )
    assert refused.status_code == 422
    assert "phones" in refused.get_json()["errors"]
    # The customer's own country still reads it, as before.
    kept = _api(
        app,
        token,
        "POST",
        "/customers",
        json={"name": "王芳", "country": "CN", "phones": ["13912345678"]},
    )
    assert kept.status_code == 201
    assert kept.get_json()["phones"] == ["+8613912345678"]


def test_an_unknown_region_stops_the_app_from_starting(make_app: Any) -> None:
    with pytest.raises(ValueError, match="RAPPORT_PHONE_REGION"):
        make_app(PHONE_REGION="XX")


def test_display_national_for_the_viewer_s_region_international_otherwise() -> None:
    assert phone_numbers.display("+8613800138000", "CN") == "138 0013 8000"
    assert phone_numbers.display("+8613800138000", "DE") == "+86 138 0013 8000"
    assert phone_numbers.display("+8613800138000", None) == "+86 138 0013 8000"
    assert phone_numbers.display("+4930123456", "DE") == "030 123456"
    assert phone_numbers.display("not a number", "CN") == "not a number"
