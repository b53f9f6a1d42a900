"""Acceptance on the demo data, in Chromium: every chart of the support and sales reports, of
the Pareto analysis in each dimension and of the demo strategy's page downloads as a CSV that
holds exactly the table of the JSON the page draws it from (same header, same rows, same
numbers); and the strategy page says in words whether variant B beats A, with the interval."""

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import Role, Strategy
from tests.browser.report_charts import as_rows, download_csv, section
from tests.browser.test_customers import sign_in
from tests.integration.test_report_chart_downloads import PAGES
from web import demo_outreach
from web.extensions import db

pytestmark = pytest.mark.browser


def _pages(strategy_id: int) -> dict[str, tuple[str, list[str]]]:
    """PAGES of the integration test, over the default range (the last 28 days, which the demo
    history fills) instead of 2099's."""
    return {
        name: (_default_range(path).format(strategy_id=strategy_id), expected)
        for name, (path, expected) in PAGES.items()
    }


def _default_range(path: str) -> str:
    base, _, query = path.partition("?")
    kept = [arg for arg in query.split("&") if arg.startswith("dimension=")]
    return base + ("?" + "&".join(kept) if kept else "")


def test_every_chart_downloads_exactly_its_table_on_the_demo(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    loaded = app.test_cli_runner().invoke(args=["demo", "load", "--history-days", "5"])
    assert loaded.exit_code == 0, loaded.output
    with app.app_context():
        strategy_id = db.session.scalar(
            select(Strategy.id).where(Strategy.name == demo_outreach.NAME)
        )
    sign_in(page, live_server, make_user(Role.ADMIN, time_zone="UTC"))
    downloads = 0
    empty: list[tuple[str, str]] = []
    for name, (path, expected) in _pages(strategy_id).items():
        page.goto(f"{live_server}{path}")
        page.wait_for_selector("body[data-report-ready]")
        data_url = page.locator("#report").get_attribute("data-url")
        report = page.request.get(f"{live_server}{data_url}").json()
        figures = page.locator("figure.report-chart").all()
        sections = [figure.get_attribute("data-section") for figure in figures]
        assert all(sections.count(s) >= expected.count(s) for s in expected), (name, sections)
        for figure, chart in zip(figures, sections, strict=True):
            rows = download_csv(page, figure)
            assert rows == as_rows(section(report, chart)), (name, chart)
            downloads += 1
            empty += [] if len(rows) > 1 else [(name, chart)]
        if name == "strategy":
            strategy_page = report
    assert downloads >= sum(len(expected) for _, expected in PAGES.values())
    # Empty only: revenue against the holdout (the demo's readers bought nothing after
    # enrolling) and before/after (the demo strategy has a holdout).
    assert set(empty) <= {("strategy", "revenue"), ("strategy", "before_after")}, empty

    # The strategy page's verdicts are the JSON's; B against A names the difference and interval.
    verdicts = page.locator("#strategy-verdicts li")
    expect(verdicts).to_have_text(strategy_page["verdicts"])
    columns = strategy_page["comparisons"]["columns"]
    rows = [dict(zip(columns, row, strict=True)) for row in strategy_page["comparisons"]["rows"]]
    b_over_a = next(r for r in rows if r["metric"] == "goal" and r["baseline"] == "A")
    difference, low, high = b_over_a["difference"], b_over_a["low"], b_over_a["high"]
    assert low <= difference <= high and b_over_a["arm"] == "B"
    assert b_over_a["can_tell_apart"] == (low > 0 or high < 0)
    assert b_over_a["verdict"] in strategy_page["verdicts"]
    said = re.search(
        r"B beats A by (\d+\.\d) percentage points \(95% interval ([-+]\d+\.\d) to "
        r"([-+]\d+\.\d) points\)",
        verdicts.all_inner_texts()[strategy_page["verdicts"].index(b_over_a["verdict"])],
    )
    assert said, b_over_a["verdict"]  # the demo's B draws clearly more replies than A
    shown = [float(n) / 100 for n in said.groups()]
    assert shown == pytest.approx([difference, low, high], abs=0.0006)  # rounded to 0.1 point
