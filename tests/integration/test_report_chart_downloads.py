"""Every chart on the report pages (support, sales, the Pareto analysis in each dimension) and
on a strategy's page has its CSV download and its table view, and draws a table that exists in
the JSON the page loads: the CSV is written in the browser from exactly that table (the bytes
are checked in tests/browser/test_every_chart_csv.py), so a chart whose section is missing from
the JSON, or names columns the table lacks, would download nothing or the wrong figures."""

from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Role
from tests.conftest import login
from tests.integration import test_analytics_reports as report_worlds
from tests.integration.test_strategy_results import hand_built
from workflows.analytics import pareto

# The hand-built worlds of the report figures' test (requirements in late March 2099, sales
# and transactions in March 2099) and of the strategy results' test (replies in February).
world = report_worlds.world
money = report_worlds.money
RANGE = "start=2099-02-01&end=2099-03-31&time_zone=UTC"

# The charts each page must have (it may have more: each is checked).
SUPPORT = ["flow", "backlog", "compliance", "breaches_by_rung", "durations", "agents", "teams"]
SALES = [
    "stages",
    "time_in_stage",
    "revenue",
    "lifetime_value.buckets",
    "lifetime_value.summary",
    "dormant.customers",
]
PARETO = ["bars"]
STRATEGY = ["arms", "arms", "comparisons", "revenue", "before_after"]
PAGES = {
    "support": (f"/reports/support?{RANGE}", SUPPORT),
    "sales": (f"/reports/sales?{RANGE}", SALES),
    **{
        f"pareto-{dimension}": (f"/reports/pareto?{RANGE}&dimension={dimension}", PARETO)
        for dimension in pareto.DIMENSIONS
    },
    "strategy": ("/strategies/{strategy_id}", STRATEGY),
}


class Charts(HTMLParser):
    """The page's chart figures (their data attributes and action buttons) and the URL of the
    JSON they are drawn from."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict[str, Any]] = []
        self.data_url: str | None = None
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "figure" and "report-chart" in (found.get("class") or "").split():
            self.figures.append({**found, "actions": []})
            self._open = True
        elif tag == "button" and self._open and found.get("data-action"):
            self.figures[-1]["actions"].append(found["data-action"])
        elif tag == "div" and found.get("id") == "report":
            self.data_url = found.get("data-url")

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._open = False


def read_charts(client: FlaskClient, path: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The page's chart figures and the JSON its charts are drawn from."""
    page = client.get(path)
    assert page.status_code == 200, path
    charts = Charts()
    charts.feed(page.get_data(as_text=True))
    assert charts.data_url, f"{path} names no JSON for its charts"
    data = client.get(charts.data_url, headers={"Accept": "application/json"})
    assert data.status_code == 200, charts.data_url
    return charts.figures, data.get_json()


def chart_table(report: dict[str, Any], section: str) -> Any:
    for key in section.split("."):
        report = report.get(key) if isinstance(report, dict) else None
    return report


def check_figure(figure: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """One chart: both buttons, and a table in the JSON with the columns it draws."""
    section = figure["data-section"]
    assert figure["actions"] == ["toggle", "csv"], (section, "no CSV download or table view")
    table = chart_table(report, section)
    assert isinstance(table, dict) and set(table) >= {"columns", "rows"}, (section, table)
    columns = table["columns"]
    assert columns and len(set(columns)) == len(columns), (section, columns)
    assert all(len(row) == len(columns) for row in table["rows"]), section
    drawn = [figure["data-x"]] + [y for y in figure["data-y"].split(",") if y != "*"]
    assert set(drawn) <= set(columns), (section, drawn, columns)
    return table


@pytest.mark.parametrize("page", list(PAGES))
def test_every_chart_has_its_csv_and_table(
    app: Flask,
    client: FlaskClient,
    make_user: Any,
    world: dict[str, Any],
    money: dict[str, Any],
    page: str,
) -> None:
    with app.app_context():
        strategy_id = hand_built().id
    path, expected = PAGES[page]
    path = path.format(strategy_id=strategy_id)
    login(client, make_user(Role.ADMIN).email)
    figures, report = read_charts(client, path)
    sections = [figure["data-section"] for figure in figures]
    for section in expected:
        assert sections.count(section) >= expected.count(section), (page, section, sections)
    tables = [check_figure(figure, report) for figure in figures]
    # The hand-built data fill at least one chart of each page, but for the replies a strategy
    # drew (none of its enrolments stopped on a reply; the demo's do, in the browser test).
    assert any(table["rows"] for table in tables) or page.startswith("pareto-replies_"), page
