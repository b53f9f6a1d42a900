"""Issue #14's acceptance on the demo data, as a new user would check it after `flask demo load`:
the support report is not empty; the Pareto chart of breach causes names the few causes behind
80 % of the breaches (the shortest run of its bars, largest first, that reaches 80 %); the
strategy page says whether variant B beats A, by how much and with an interval; and every chart
on every report page has its CSV download. (The report's counts against the queue pages and the
API: test_report_agrees_with_queues.py; the CSVs' bytes: tests/browser/test_every_chart_csv.py.)"""

import html
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import Role, Strategy
from tests.conftest import login
from tests.integration.test_report_chart_downloads import (
    PAGES,
    RANGE,
    check_figure,
    read_charts,
)
from web import demo_outreach
from web.extensions import db


def _vital_few(bars: list[list[Any]], total: float, threshold: float) -> int:
    """How many bars, largest first, it takes for their share of `total` to reach `threshold`."""
    running = 0.0
    for count, (_, _, value, *_) in enumerate(bars, start=1):
        running += float(value)
        if running / total >= threshold - 1e-9:
            return count
    return len(bars)


def test_the_reports_answer_on_the_demo_data(app: Flask, make_user: Any) -> None:
    loaded = app.test_cli_runner().invoke(args=["demo", "load", "--history-days", "5"])
    assert loaded.exit_code == 0, loaded.output
    with app.app_context():
        strategy_id = db.session.scalar(
            select(Strategy.id).where(Strategy.name == demo_outreach.NAME)
        )
    client = app.test_client()
    login(client, make_user(Role.SUPERVISOR).email)

    # The support report over the default range (the last 28 days) is not empty.
    support = client.get("/reports/support/data").get_json()
    assert support["requirements"] > 0
    assert sum(row[1] for row in support["durations"]["rows"]) > 0  # clocks met, times stored
    assert sum(row[2] for row in support["compliance"]["rows"]) > 0  # some breached
    assert sum(row[2] for row in support["flow"]["rows"]) > 0  # some resolved
    assert sum(support["backlog"]["rows"][-1][1:]) > 0  # some open now

    # Breach causes: bars largest first, shares of the total, and the vital few are the
    # shortest prefix reaching 80 %.
    causes = client.get("/reports/pareto/data?dimension=breaches_by_cause").get_json()
    bars = causes["bars"]["rows"]
    assert causes["total"] > 0 and len(bars) == causes["item_count"]
    values = [bar[2] for bar in bars]
    assert values == sorted(values, reverse=True) and sum(values) == causes["total"]
    running = 0
    for _, _, value, share, cumulative in bars:
        running += value
        assert share == pytest.approx(value / causes["total"], abs=1e-4)
        assert cumulative == pytest.approx(running / causes["total"], abs=1e-4)
    assert causes["threshold"] == 0.8
    few = _vital_few(bars, causes["total"], causes["threshold"])
    assert causes["vital_few_count"] == few
    assert causes["vital_few"] == [bar[1] for bar in bars[:few]]
    page = client.get("/reports/pareto?dimension=breaches_by_cause").get_data(as_text=True)
    listed = re.search(r'<section id="vital-few">(.*?)</section>', page, re.S).group(1)
    assert f"{few} of {len(bars)} account for 80 % of the total ({causes['total']})" in listed
    assert [html.unescape(name) for name in re.findall(r"<li>(.*?)</li>", listed)] == (
        causes["vital_few"]
    )

    # The strategy (with a holdout): B against A, by how much, with its interval, in words.
    results = client.get(f"/strategies/{strategy_id}/results").get_json()
    columns = results["comparisons"]["columns"]
    rows = [dict(zip(columns, row, strict=True)) for row in results["comparisons"]["rows"]]
    assert any(row["baseline"] == "holdout" for row in rows)
    b_over_a = next(
        r for r in rows if r["metric"] == "goal" and (r["baseline"], r["arm"]) == ("A", "B")
    )
    low, difference, high = b_over_a["low"], b_over_a["difference"], b_over_a["high"]
    assert low <= difference <= high
    assert b_over_a["can_tell_apart"] is (low > 0 or high < 0)
    assert b_over_a["verdict"] in results["verdicts"]
    said = re.search(
        r"B beats A by ([\d.]+) percentage points \(95% interval ([-+][\d.]+) to ([-+][\d.]+) "
        r"points\); the data can tell them apart\.",
        b_over_a["verdict"],
    )
    assert said, b_over_a["verdict"]
    assert [float(n) / 100 for n in said.groups()] == pytest.approx(
        [difference, low, high], abs=0.0006
    )
    strategy_page = client.get(f"/strategies/{strategy_id}").get_data(as_text=True)
    assert 'data-list="verdicts"' in strategy_page  # the sentences, filled in from the JSON

    # Every chart of every report page (and of the strategy page) has its CSV download.
    charts = 0
    for path, expected in PAGES.values():
        path = path.replace(RANGE, "")  # the default range, which the demo fills
        figures, report = read_charts(client, path.format(strategy_id=strategy_id))
        sections = [figure["data-section"] for figure in figures]
        assert all(sections.count(s) >= expected.count(s) for s in expected), (path, sections)
        charts += sum(1 for figure in figures if check_figure(figure, report))
    assert charts >= 26
