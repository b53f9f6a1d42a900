"""The report pages, their JSON and the API agree; access and bad input are handled."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Role, User
from tests.conftest import login
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import accounts
from workflows.platform.clock import ManualClock
from workflows.tracking import requirements


@pytest.fixture
def people(app: Flask, make_user: Any) -> dict[str, Any]:
    supervisor = make_user(Role.SUPERVISOR, time_zone="Europe/Berlin")
    agent = make_user(Role.AGENT)
    with app.app_context():
        token = accounts.issue_token(
            db.session, db.session.get(User, supervisor.id), "reports", clock=current_clock()
        ).secret
        agent_token = accounts.issue_token(
            db.session, db.session.get(User, agent.id), "reports", clock=current_clock()
        ).secret
        db.session.commit()
    return {"supervisor": supervisor, "agent": agent, "token": token, "agent_token": agent_token}


@pytest.mark.parametrize("kind", ["support", "sales", "pareto"])
def test_page_json_and_api_return_the_same_report(
    client: FlaskClient, people: dict[str, Any], kind: str
):
    query = "?start=2099-03-01&end=2099-03-31&priority=high"
    api = client.get(
        f"/api/v1/reports/{kind}{query}",
        headers={"Authorization": f"Bearer {people['token']}"},
    )
    assert api.status_code == 200, api.get_json()
    login(client, people["supervisor"].email)
    page = client.get(f"/reports/{kind}{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "report-chart" in html and "<script>" not in html  # no inline script (CSP)
    assert "vendor/echarts/echarts.common.min.js" in html
    data = client.get(f"/reports/{kind}/data{query}").get_json()
    assert data == api.get_json()
    assert data["range"] == {
        "start": "2099-03-01",
        "end": "2099-03-31",
        "time_zone": "Europe/Berlin",  # the viewer's zone
        "days": 31,
    }
    assert data["filters"] == {"priority": "high"}


def test_bad_arguments_are_422_problems_naming_the_field(
    client: FlaskClient, people: dict[str, Any]
):
    headers = {"Authorization": f"Bearer {people['token']}"}
    bad = client.get("/api/v1/reports/support?start=yesterday&team_id=x", headers=headers)
    assert bad.status_code == 422
    assert bad.content_type == "application/problem+json"
    assert set(bad.get_json()["errors"]) == {"start", "team_id"}
    zone = client.get("/api/v1/reports/sales?time_zone=Nowhere/Land", headers=headers)
    assert set(zone.get_json()["errors"]) == {"time_zone"}
    dimension = client.get("/api/v1/reports/pareto?dimension=colour", headers=headers)
    assert set(dimension.get_json()["errors"]) == {"dimension"}


def test_agents_may_not_see_reports(client: FlaskClient, people: dict[str, Any]):
    headers = {"Authorization": f"Bearer {people['agent_token']}"}
    assert client.get("/api/v1/reports/support", headers=headers).status_code == 403
    login(client, people["agent"].email)
    assert client.get("/reports/support").status_code == 403
    assert client.get("/reports/support/data").status_code == 403


def test_reports_are_in_the_openapi_document(client: FlaskClient):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/reports/support", "/api/v1/reports/sales", "/api/v1/reports/pareto"):
        assert "get" in paths[path]
    parameters = {p["name"] for p in paths["/api/v1/reports/pareto"]["get"]["parameters"]}
    assert {"dimension", "currency", "start", "end", "time_zone", "team_id"} <= parameters


def test_the_sales_page_charts_the_pipeline_from_the_api_s_json(
    app: Flask, client: FlaskClient, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    """Two open opportunities in April 2099 (EUR 100.10 and 0.20), one in February (overdue on
    2099-03-15, USD 5) and a won one (not open)."""
    clock = ManualClock(datetime(2099, 3, 15, 12, tzinfo=UTC))
    monkeypatch.setitem(app.extensions, "clock", clock)
    with app.app_context():
        supervisor = db.session.get(User, people["supervisor"].id)
        customer = profiles.create_customer(
            db.session, {"name": "Buyer"}, actor_id=None, clock=clock
        )
        for amount, currency, close, won in (
            ("100.10", "EUR", "2099-04-03", False),
            ("0.20", "EUR", "2099-04-30", False),
            ("5", "USD", "2099-02-01", False),
            ("7", "EUR", "2099-04-10", True),
        ):
            opportunity = requirements.open_requirement(
                db.session,
                customer_id=customer.id,
                title="Deal",
                clock=clock,
                actor=supervisor,
                workflow="sales",
                amount=amount,
                currency=currency,
                expected_close_on=close,
            )
            for trigger in ("qualify", "propose", "win") if won else ():
                requirements.fire(db.session, opportunity, trigger, actor=supervisor, clock=clock)
        db.session.commit()
    api = client.get(
        "/api/v1/reports/sales", headers={"Authorization": f"Bearer {people['token']}"}
    ).get_json()
    assert api["pipeline_value"]["by_month"]["rows"] == [
        ["2099-02", "USD", 1, "5.00", True],
        ["2099-04", "EUR", 2, "100.30", False],
    ]
    login(client, people["supervisor"].email)
    html = client.get("/reports/sales").get_data(as_text=True)
    assert 'data-section="pipeline_value.by_month"' in html
    assert 'data-section="pipeline_value.by_stage"' in html
    assert 'data-section="pipeline_value.unscheduled"' in html
    assert 'data-words-overdue="{month} (overdue)"' in html
    assert re.search(
        r'id="kpi-pipeline"><h2>3</h2><p>open opportunities in the pipeline \(1 overdue\)', html
    )
    assert client.get("/reports/sales/data").get_json()["pipeline_value"] == api["pipeline_value"]
