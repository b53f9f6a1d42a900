"""What the report pages' charts give a user, read in Chromium: a chart's CSV download, its
table view, and the API's JSON for the same query to check both against."""

import csv
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from playwright.sync_api import Locator, Page, expect

from models import User
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts


def download_csv(page: Page, figure: Locator) -> list[list[str]]:
    """The figure's "Download CSV", parsed: the header row first."""
    with page.expect_download() as download:
        figure.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def table_view(figure: Locator) -> list[list[str]]:
    """The figure's table view as it shows (open it first), the header row first."""
    table = figure.locator(".chart-table table")
    expect(table).to_be_visible()
    head = [table.locator("thead th").all_inner_texts()]
    return head + [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]


def as_shown(page: Page, rows: list[list[str]]) -> list[list[str]]:
    """`rows` (header first, codes as in the JSON and the CSV) as the table view shows them:
    the codes in words (`<div id="report" data-columns>`, web/reports/words.py)."""
    words = json.loads(page.get_attribute("#report", "data-columns") or "{}")
    head = [words.get(name, name.replace("_", " ")) for name in rows[0]]
    return [head] + [[words.get(cell, cell) for cell in row] for row in rows[1:]]


def section(report: dict[str, Any], path: str) -> dict[str, Any]:
    """A chart's table in the report's JSON (`data-section`, dotted like `dormant.customers`)."""
    for key in path.split("."):
        report = report[key]
    return report


def cell_text(value: Any) -> str:
    """A JSON value as the page writes it in a CSV cell or a table cell (JavaScript's String)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_rows(table: dict[str, Any]) -> list[list[str]]:
    """A JSON table ({columns, rows}) as the rows its CSV must have, header first."""
    return [list(table["columns"])] + [[cell_text(v) for v in row] for row in table["rows"]]


def api_token(app: Flask, user: User) -> dict[str, str]:
    """A bearer header for the API, for `user`."""
    with app.app_context():
        secret = accounts.issue_token(
            db.session, db.session.get(User, user.id), "report test", clock=current_clock()
        ).secret
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def api_json(page: Page, live_server: str, path: str, headers: dict[str, str]) -> Any:
    """`/api/v1{path}` with the query the page now shows (after "Update report")."""
    query = urlsplit(page.url).query
    response = page.request.get(f"{live_server}/api/v1{path}?{query}", headers=headers)
    assert response.ok, response.status
    return response.json()


def update_report(page: Page) -> None:
    """Submit the filter form and wait for the charts of the new page."""
    with page.expect_navigation():
        page.get_by_role("button", name="Update report").click()
    page.wait_for_load_state("load")
    page.wait_for_selector("body[data-report-ready]")
