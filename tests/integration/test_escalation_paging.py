"""The escalation queue comes a page at a time (`escalations.QUEUE_LIMIT` rows, keyset "Next"):
the pages together list every escalated clock once, in the queue's order; the counts and the
sections stay the whole queue's; the live fragment serves the page it was asked for; a cursor
that is not one is refused."""

import re

import pytest

from tests.integration.test_requirement_pages import World
from tests.integration.test_statement_counts import _token, busy  # noqa: F401 (fixture)
from web.extensions import db
from workflows.tracking import escalations

PAGE = 7


def _all_ids(world: World) -> list[int]:
    with world.app.app_context():
        page = escalations.queue(db.session, clock=world.clock, limit=1000)
        assert page.next_after is None
        return [r.sla.id for r in page.rows]


def test_pages_list_every_escalation_once_in_order(
    busy: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(escalations, "QUEUE_LIMIT", PAGE)
    expected = _all_ids(busy)
    assert len(expected) > 2 * PAGE  # several pages
    client = busy.client("lead")
    counts = client.get("/escalations/counts").get_json()
    seen: list[int] = []
    url: str | None = "/escalations"
    while url:
        html = client.get(url).get_data(as_text=True)
        ids = [int(i) for i in re.findall(r'<tr data-clock="(\d+)"', html)]
        assert 0 < len(ids) <= PAGE
        seen += ids
        # The whole queue's counts on every page, not the page's.
        assert f"{counts['breached']} breached</span>" in html
        # The live fragment of this page lists the same rows.
        live_url = re.search(r'data-live-url="([^"]+)"', html)
        assert live_url is not None
        live = client.get(live_url.group(1).replace("&amp;", "&")).get_json()
        assert [int(i) for i in re.findall(r'<tr data-clock="(\d+)"', live["html"])] == ids
        found = re.search(r'href="([^"]+)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == expected


def test_api_pages_follow_next_after(busy: World) -> None:  # noqa: F811
    expected = _all_ids(busy)
    client = busy.client("lead")
    headers = _token(busy.app, busy.users["lead"])
    seen: list[int] = []
    after = None
    while True:
        query = f"?limit={PAGE}" + (f"&after={after}" if after else "")
        body = client.get(f"/api/v1/escalations{query}", headers=headers).get_json()
        seen += [item["id"] for item in body["items"]]
        after = body["next_after"]
        if after is None:
            break
    assert seen == expected
    # The level is filtered before the page is cut: a full page of that level only.
    body = client.get(f"/api/v1/escalations?level=breached&limit={PAGE}", headers=headers)
    items = body.get_json()["items"]
    assert body.get_json()["counts"]["breached"] > PAGE
    assert len(items) == PAGE and {item["level"] for item in items} == {"breached"}


@pytest.mark.parametrize("after", ["x", "1.1.1", "2.0.5.1", "1.1.99999999999999999999.1"])
def test_a_cursor_that_is_not_one_is_refused(busy: World, after: str) -> None:  # noqa: F811
    client = busy.client("lead")
    assert client.get(f"/escalations?after={after}").status_code == 400
    assert client.get(f"/escalations/live?after={after}").status_code == 400
    headers = _token(busy.app, busy.users["lead"])
    response = client.get(f"/api/v1/escalations?after={after}", headers=headers)
    assert response.status_code == 422
    assert "after" in response.get_data(as_text=True)
