"""A supervisor opens the support report in Chromium, narrows the range and a filter, downloads
a chart's CSV and switches a chart to its table."""

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from models import Role
from tests.browser.report_charts import download_csv
from tests.browser.test_customers import sign_in
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.platform.clock import ManualClock
from workflows.tracking import requirements

pytestmark = pytest.mark.browser


def _history(app: Flask) -> str:
    """Two billing requirements two days ago, one delivery requirement today (UTC days)."""
    with app.app_context():
        now = current_clock().now()
        customer = profiles.create_customer(
            db.session,
            {"name": "Ana", "emails": "ana@example.com"},
            actor_id=None,
            clock=ManualClock(now),
        )
        for days_ago, category in ((2, "billing"), (2, "billing"), (0, "delivery")):
            requirements.open_requirement(
                db.session,
                customer_id=customer.id,
                title=f"{category} question",
                clock=ManualClock(now - timedelta(days=days_ago, minutes=30)),
                actor=None,
                category=category,
            )
        db.session.commit()
        return (now - timedelta(days=5)).date().isoformat()


def test_supervisor_filters_downloads_and_reads_a_chart_as_a_table(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    start = _history(app)
    sign_in(page, live_server, make_user(Role.SUPERVISOR, time_zone="UTC"))
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Support report")).to_be_visible()
    page.wait_for_selector("body[data-report-ready]")
    expect(page.locator("#kpis")).to_contain_text("3")

    page.get_by_label("From").fill(start)
    page.get_by_label("Category").fill("billing")
    page.get_by_role("button", name="Update report").click()
    page.wait_for_selector("body[data-report-ready]")
    expect(page.locator("#kpis article").first).to_contain_text("2")
    expect(page.locator("#kpis article").first).to_contain_text("requirements created")

    flow = page.locator('figure[data-section="flow"]')
    header, *cells = download_csv(page, flow)
    assert header == ["day", "created", "resolved"]
    rows = [dict(zip(header, row, strict=True)) for row in cells]
    assert rows[0]["day"] == start and len(rows) == 6
    assert sum(int(row["created"]) for row in rows) == 2

    table = flow.locator(".chart-table")
    expect(table).to_be_hidden()
    flow.get_by_role("button", name="Show table").click()
    expect(table).to_be_visible()
    expect(flow.locator(".chart-canvas")).to_be_hidden()
    expect(flow.get_by_role("button", name="Show chart")).to_have_attribute("aria-pressed", "true")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("tbody tr").nth(3)).to_contain_text("2")


def test_sales_page_charts_the_pipeline_and_downloads_exactly_its_table(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    """Two open EUR deals closing next month (100.10 and 0.20), one USD deal overdue since last
    month (5): the chart's months, the overdue label and the CSV are the report's table."""
    with app.app_context():
        now = current_clock().now()
        this_month = now.date().replace(day=1)
        last_month = (this_month - timedelta(days=1)).replace(day=1)
        next_month = (this_month + timedelta(days=32)).replace(day=1)
        customer = profiles.create_customer(
            db.session, {"name": "Buyer"}, actor_id=None, clock=ManualClock(now)
        )
        for amount, currency, close in (
            ("100.10", "EUR", next_month),
            ("0.20", "EUR", next_month + timedelta(days=3)),
            ("5", "USD", last_month),
        ):
            requirements.open_requirement(
                db.session,
                customer_id=customer.id,
                title="Deal",
                clock=ManualClock(now),
                actor=None,
                workflow="sales",
                amount=amount,
                currency=currency,
                expected_close_on=close,
            )
        db.session.commit()
    sign_in(page, live_server, make_user(Role.SUPERVISOR, time_zone="UTC"))
    page.goto(f"{live_server}/reports/sales")
    page.wait_for_selector("body[data-report-ready]")
    figure = page.locator('figure[data-section="pipeline_value.by_month"]')
    expect(figure).to_have_attribute("data-ready", "1")
    late, soon = last_month.isoformat()[:7], next_month.isoformat()[:7]
    expect(figure.locator(".chart-canvas")).to_contain_text(f"{late} (overdue)")
    assert download_csv(page, figure) == [
        ["month", "currency", "opportunities", "amount", "overdue"],
        [late, "USD", "1", "5.00", "true"],
        [soon, "EUR", "2", "100.30", "false"],
    ]
    figure.get_by_role("button", name="Show table").click()
    expect(figure.locator(".chart-table tbody tr")).to_have_count(2)
