"""Chinese and Western addresses through the customer form, the customer page, the API and the
CSV import and export: the layout follows the country (CN: province, city, district, street,
postal code), and a customer saved before the new parts existed keeps its address."""

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Customer, Role, User
from tests.conftest import csrf_token, login
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import imports, profiles
from workflows.platform import accounts

SHENZHEN = {
    "country": "CN",
    "region": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "address_line": "科技园路1号",
    "postal_code": "518057",
}


@pytest.fixture
def agent_client(client: FlaskClient, make_user: Any) -> FlaskClient:
    login(client, make_user(Role.AGENT).email)
    return client


def _create(app: Flask, **data: Any) -> int:
    with app.app_context():
        customer = profiles.create_customer(db.session, data, actor_id=None, clock=current_clock())
        db.session.commit()
        return customer.id


def _order(html: str) -> list[str]:
    """The address inputs' names in page order."""
    fieldset = html[html.index('id="address"') :]
    fieldset = fieldset[: fieldset.index("</fieldset>")]
    return re.findall(r'<input[^>]* name="([a-z_]+)"', fieldset)


def test_the_form_orders_the_parts_by_country_and_saves_a_chinese_address(
    app: Flask, agent_client: FlaskClient
) -> None:
    assert _order(agent_client.get("/customers/new").get_data(as_text=True)) == [
        "address_line",
        "district",
        "postal_code",
        "city",
        "region",
        "country",
    ]
    token = csrf_token(agent_client, "/customers/new")
    response = agent_client.post(
        "/customers/new", data={"csrf_token": token, "name": "王芳", **SHENZHEN}
    )
    assert response.status_code == 302
    customer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        saved = db.session.get(Customer, customer_id)
        assert {k: getattr(saved, k) for k in SHENZHEN} == SHENZHEN
    edit = agent_client.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    assert _order(edit) == ["country", "region", "city", "district", "address_line", "postal_code"]
    assert 'data-layout="cn"' in edit
    page = agent_client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "广东省 深圳市 南山区 科技园路1号, 518057" in page


def test_an_address_saved_before_keeps_its_parts_and_western_display(
    app: Flask, agent_client: FlaskClient
) -> None:
    customer_id = _create(
        app,
        name="Ana Lima",
        address_line="Rua A 1",
        postal_code="1000-001",
        city="Lisboa",
        country="PT",
    )
    with app.app_context():
        saved = db.session.get(Customer, customer_id)
        assert (saved.region, saved.district) == (None, None)
    page = agent_client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "Rua A 1, 1000-001 Lisboa, PT" in page


def test_the_api_takes_the_parts_and_answers_the_written_address(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    user = make_user(Role.AGENT)
    with app.app_context():
        secret = accounts.issue_token(
            db.session, db.session.get(User, user.id), "t", clock=current_clock()
        ).secret
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    created = client.post("/api/v1/customers", json={"name": "张伟", **SHENZHEN}, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["region"], body["district"]) == ("广东省", "南山区")
    assert body["address"] == {
        "layout": "cn",
        "lines": ["广东省 深圳市 南山区 科技园路1号", "518057"],
    }
    too_long = client.post(
        "/api/v1/customers", json={"name": "李娜", "district": "区" * 121}, headers=headers
    )
    assert too_long.status_code == 422
    assert "district" in str(too_long.get_json())


def test_csv_import_reads_chinese_column_names_and_export_writes_the_parts(
    app: Flask, agent_client: FlaskClient
) -> None:
    header = ["姓名", "邮箱地址", "省", "市", "区", "街道", "邮编", "国家"]
    with app.app_context():
        mapping = imports.guess_mapping(db.session, header)
        assert [mapping.get(h) for h in header[2:]] == [
            "region",
            "city",
            "district",
            "address_line",
            "postal_code",
            "country",
        ]
        values = imports.row_values(
            header,
            ["李娜", "", "浙江省", "杭州市", "西湖区", "文三路90号", "310012", "CN"],
            {**mapping, "姓名": "name"},
        )
        ctx = imports.RowContext(db.session, current_clock(), None)
        customer = imports.write_row(ctx, values)
        db.session.commit()
        assert (customer.region, customer.city, customer.district) == ("浙江省", "杭州市", "西湖区")
    exported = list(
        csv.DictReader(
            io.StringIO(agent_client.get("/customers/export.csv").get_data(as_text=True))
        )
    )
    [row] = [r for r in exported if r["name"] == "李娜"]
    assert (row["region"], row["district"], row["address_line"]) == (
        "浙江省",
        "西湖区",
        "文三路90号",
    )
