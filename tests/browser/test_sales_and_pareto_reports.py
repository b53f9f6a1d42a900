"""A supervisor opens the sales report and the Pareto analysis in Chromium, narrows the range and
a filter, downloads a chart's CSV (checked against the API's JSON for the same query and the
figures worked out by hand) and reads a chart as a table showing the same numbers."""

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Role, User
from tests.browser.report_charts import (
    api_json,
    api_token,
    as_rows,
    as_shown,
    download_csv,
    table_view,
    update_report,
)
from tests.browser.test_customers import sign_in
from tests.integration import test_analytics_reports as hand_built
from web.extensions import db
from workflows.customers import profiles
from workflows.platform.clock import ManualClock
from workflows.tracking import requirements

pytestmark = pytest.mark.browser

# The hand-built worlds of the report figures' integration test (worked out there by hand).
money = hand_built.money
world = hand_built.world


def _chart_agrees(page: Page, section: str, table: dict[str, Any]) -> list[list[str]]:
    """The figure's CSV and its table view both hold exactly the JSON table; returns its rows."""
    figure = page.locator(f'figure[data-section="{section}"]')
    expected = as_rows(table)
    assert download_csv(page, figure) == expected
    toggle = figure.get_by_role("button", name="Show table")
    if toggle.is_visible():  # a table-only figure shows its table already
        toggle.click()
        expect(figure.locator(".chart-canvas")).to_be_hidden()
    assert table_view(figure) == as_shown(page, expected)
    return expected[1:]


def test_sales_report_by_range_and_agent(
    page: Page, live_server: str, app: Flask, make_user: Any, money: dict[str, Any]
) -> None:
    seller = db.session.scalar(db.select(User).where(User.email == "seller@example.com"))
    other = db.session.get(User, make_user(Role.AGENT, name="Other Seller").id)
    # Another seller's lead in the same month: counted until the filter names the seller.
    customer = profiles.create_customer(
        db.session,
        {"name": "D"},
        actor_id=None,
        clock=ManualClock(datetime(2099, 3, 12, tzinfo=UTC)),
    )
    requirements.open_requirement(
        db.session,
        customer_id=customer.id,
        title="O4",
        clock=ManualClock(datetime(2099, 3, 12, 9, tzinfo=UTC)),
        actor=other,
        workflow="sales",
        assignee_id=other.id,
    )
    db.session.commit()
    supervisor = make_user(Role.SUPERVISOR, time_zone="UTC")
    bearer = api_token(app, supervisor)
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server}/reports/sales")
    page.wait_for_selector("body[data-report-ready]")
    expect(page.get_by_role("heading", name="Sales report")).to_be_visible()

    page.get_by_label("From", exact=True).fill("2099-03-01")
    page.get_by_label("To", exact=True).fill("2099-03-31")
    update_report(page)
    everyone = api_json(page, live_server, "/reports/sales", bearer)
    assert everyone["stages"]["rows"][0] == ["lead", 4, 2, None]  # O1-O3 and O4
    page.locator("select[name=assignee_id]").select_option(str(seller.id))
    update_report(page)
    assert "assignee_id=" + str(seller.id) in page.url and "start=2099-03-01" in page.url
    report = api_json(page, live_server, "/reports/sales", bearer)
    assert report["range"]["start"] == "2099-03-01"

    # By hand (tests/integration/test_analytics_reports.py): O1 won from proposal, O2 lost
    # from qualified, O3 still a lead; O4 is another seller's.
    stages = _chart_agrees(page, "stages", report["stages"])
    assert stages[0] == ["lead", "3", "1", ""]
    assert stages[1] == ["qualified", "2", "0", "0.6667"]
    assert stages[4:] == [["won", "1", "1", ""], ["lost", "1", "1", ""]]
    expect(page.locator("#kpis article").first).to_contain_text("50.0 %")
    expect(page.locator("#kpis article").first).to_contain_text("1 won, 1 lost")
    # Revenue per month, never summed across currencies: EUR 100.10 - 50.05 + 0.30; USD 999.99.
    revenue = _chart_agrees(page, "revenue", report["revenue"])
    assert revenue == [["2099-03", "EUR", "50.35", "4"], ["2099-03", "USD", "999.99", "1"]]
    in_stage = _chart_agrees(page, "time_in_stage", report["time_in_stage"])
    assert in_stage[0] == ["lead", "2", "5400"]  # O1 1 h, O2 2 h


def test_pareto_by_range_agent_and_dimension(
    page: Page, live_server: str, app: Flask, make_user: Any, world: dict[str, Any]
) -> None:
    agent = world["agent"]
    supervisor = make_user(Role.SUPERVISOR, time_zone="UTC")
    bearer = api_token(app, supervisor)
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server}/reports/pareto")
    page.wait_for_selector("body[data-report-ready]")
    expect(page.get_by_role("heading", name="Pareto analysis")).to_be_visible()
    expect(page.locator("select[name=dimension]")).to_have_value("requirements_by_category")

    page.get_by_label("From", exact=True).fill("2099-03-25")
    page.get_by_label("To", exact=True).fill("2099-03-31")
    page.locator("select[name=assignee_id]").select_option(str(agent.id))
    update_report(page)
    report = api_json(page, live_server, "/reports/pareto", bearer)
    assert report["dimension"] == "requirements_by_category"
    # R1, R2, R4 billing and R3 shipping are the agent's; R5 (other) was never assigned.
    bars = _chart_agrees(page, "bars", report["bars"])
    assert [row[1:] for row in bars] == [
        ["billing", "3", "0.75", "0.75"],
        ["shipping", "1", "0.25", "1"],
    ]
    # 75 % is short of 80 %: both are the vital few.
    vital = page.locator("#vital-few")
    expect(vital.locator("li")).to_have_text(["billing", "shipping"])
    expect(vital).to_contain_text("2 of 2 account for 80 % of the total (4)")

    page.locator("select[name=dimension]").select_option("breaches_by_cause")
    update_report(page)
    assert "dimension=breaches_by_cause" in page.url and f"assignee_id={agent.id}" in page.url
    causes = api_json(page, live_server, "/reports/pareto", bearer)
    bars = _chart_agrees(page, "bars", causes["bars"])
    assert [row[1:] for row in bars] == [
        ["waited unassigned", "1", "0.5", "0.5"],
        ["time waiting on the customer", "1", "0.5", "1"],
    ]
    expect(vital.locator("li")).to_have_text(causes["vital_few"])
