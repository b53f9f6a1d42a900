"""The main pages in Chromium for an admin whose language is Simplified Chinese, on a 390 px wide
phone: no English left in what a person reads on the whole page (navigation, headings, buttons,
messages, what the scripts wrote after the load), the data aside, and nothing wider than the
screen. A failing page is photographed into <tmp>/mobile-shots/ (test_responsive's folder).

The detector is tests/i18n_text.py's; the data allowed are the Chinese world's and the labels
the workflow declarations translate (tests/integration/test_pages_in_chinese.py)."""

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page

from models import Role, User
from tests.browser.test_customers import sign_in
from tests.browser.test_responsive import PHONE, SHOTS, WIDEST
from tests.i18n_text import visible_english
from tests.integration.test_pages_in_chinese import START, ChineseWorld, _labels_owned_elsewhere
from web.extensions import db
from workflows.platform.clock import ManualClock

pytestmark = pytest.mark.browser

ADMIN_PAGES = [
    "/admin/users",
    "/admin/teams",
    "/admin/calendars",
    "/admin/sla-policies",
    "/admin/stages",
    "/admin/categories",
    "/admin/custom-fields",
    "/admin/workflows",
    "/admin/outbox",
    "/admin/retention",
    "/admin/access-log",
]


def _pages(world: ChineseWorld) -> list[str]:
    return [
        "/",
        "/requirements",
        "/requirements?queue=team",
        "/requirements?queue=all",
        f"/requirements/{world.requirement}",
        "/customers",
        f"/customers/{world.customer}",
        "/organisations/",
        f"/organisations/{world.organisation}",
        "/reports/support",
        "/reports/sales",
        "/strategies",
        "/segments",
        "/escalations",
        *ADMIN_PAGES,
    ]


@pytest.fixture
def chinese_phone(
    browser: Browser, live_server: str, app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ChineseWorld, Page]]:
    clock = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", clock)
    lead = make_user(Role.ADMIN, name="李主管", time_zone="Asia/Shanghai")
    agent = make_user(Role.AGENT, name="张伟", time_zone="Asia/Shanghai")
    world = ChineseWorld(app, clock, lead, agent)
    context: BrowserContext = browser.new_context(
        viewport=PHONE, timezone_id="Asia/Shanghai", locale="en-GB", base_url=live_server
    )
    try:
        page = context.new_page()
        # English while signing in (the helper reads the English words); the account's
        # setting, not the browser's, makes every page after it Chinese.
        with app.app_context():
            db.session.get(User, lead.id).language = "en"
            db.session.commit()
        sign_in(page, live_server, lead)
        with app.app_context():
            for user in (lead, agent):
                db.session.get(User, user.id).language = "zh_Hans"
            db.session.commit()
        yield world, page
    finally:
        context.close()  # an open page would keep polling the live server in later tests


def test_the_main_pages_read_in_chinese_and_fit_a_phone(
    app: Flask, live_server: str, chinese_phone: tuple[ChineseWorld, Page]
) -> None:
    world, page = chinese_phone
    # "NaN": ECharts' own accessible description of a chart names an empty value so.
    data = [*_labels_owned_elsewhere(app), "李主管", "张伟", "NaN"]
    english: dict[str, list[str]] = {}
    wide: dict[str, str] = {}
    for path in _pages(world):
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        assert page.get_attribute("html", "lang") == "zh-Hans", path
        found = visible_english(page.content(), allow=data)
        if found:
            english[path] = found
        measured = page.evaluate(WIDEST)
        if measured["scroll"] > measured["width"]:
            wide[path] = f"{measured['scroll']}px: {', '.join(measured['over'])}"
        if found or path in wide:
            SHOTS.mkdir(exist_ok=True)
            name = "".join(c if c.isalnum() else "_" for c in path).strip("_") or "home"
            page.screenshot(path=str(SHOTS / f"zh-{name[:80]}.png"), full_page=True)
    assert not english, "English left:\n" + "\n".join(
        f"{p}:\n  " + "\n  ".join(f) for p, f in english.items()
    )
    assert not wide, f"Wider than a 390 px phone: {wide}"
