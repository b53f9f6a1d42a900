"""Every page works on a phone (issue 15): at 390 by 844 px no page scrolls sideways, the navigation
is a menu, queues and lists read as labelled cards, and the customer filters fold away.

The pages are enumerated from `app.url_map`, so a new page is measured without anyone
remembering to add it; what is not a page (JSON, downloads, the API) is skipped by name below,
each with its reason. A page that fails is photographed into <tmp>/mobile-shots/ (every page with
RAPPORT_MOBILE_SHOTS=1) for a person to look at."""

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from models import Role
from tests.browser.test_customers import make_customer, sign_in
from tests.browser.wide_world import LONG_WORD, WideWorld, build_wide
from tests.conftest import PASSWORD
from web.clocks import current_clock
from web.extensions import db
from workflows.tracking import requirements

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = Path(tempfile.gettempdir()) / "mobile-shots"
EVERY_SHOT = os.environ.get("RAPPORT_MOBILE_SHOTS") == "1"

# GET routes that are not pages a person reads, by endpoint.
NOT_PAGES = {
    "static": "files",
    "attachments.show": "a download",
    "imports.export_csv": "a CSV download",
    "imports.bad_rows_csv": "a CSV download",
    "imports.status": "JSON the progress bar polls",
    "privacy.certificate": "a JSON download",
    "privacy.erasure_status": "JSON the progress bar polls",
    "admin.sla_policy_status": "JSON the progress bar polls",
    "escalations.counts": "JSON for the navigation badge",
    "escalations.live": "JSON the escalation queue polls",
    "notifications.unread": "JSON for the bell",
    "search.suggest": "JSON for the search box",
    "requirements.mention_suggestions": "JSON for @mentions",
    "reports.data": "JSON the charts draw",
    "health.healthz": "JSON for monitoring",
    "api-docs.openapi_json": "the OpenAPI document (JSON)",
}
# Where two routes name different things alike, the seeded id each one takes.
ENDPOINT_IDS = {
    "privacy.erasure_page": {"job_id": "erasure_job_id"},
    "customers.confirm_purge": {"customer_id": "trashed_customer_id"},
    "auth.accept_invitation": {"token": "invitation_token"},
    "unsubscribe.confirm": {"token": "unsubscribe_token"},
}
# Signed-out pages (a link from an email); every other page is visited as an admin, who may
# open them all, and the pages whose content depends on the role again as an agent.
SIGNED_OUT = {"auth.login", "auth.accept_invitation", "unsubscribe.confirm"}
AS_AGENT_TOO = {"dashboard.index", "requirements.index", "requirements.show", "customers.show"}
# Pages measured with these query strings ("" is the bare page): the states that make them
# widest, and the query a page cannot do without.
VARIANTS = {
    "customers.index": [
        "",
        "?q=a&owner={user_id}&stage=customer&organisation={organisation_id}&tag=vip"
        "&created_from=2020-01-01&created_to=2099-01-01&contacted_from=2020-01-01"
        "&contacted_to=2099-01-01&sort=name",
    ],
    "requirements.index": ["", "?queue=team", "?queue=all&sla=breached", f"?q={LONG_WORD[:12]}"],
    "merge.compare": ["?a={customer_id}&b={other_customer_id}"],
    "outreach.preview": ["?customer_id={customer_id}"],
    "search.index": ["", "?q=invoice"],
    "reports.support": ["", "?group=agent"],
}


def is_page(rule: Any) -> bool:
    if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
        return False
    # The JSON API; its one page, the Swagger UI, is measured.
    return not rule.rule.startswith("/api/") or rule.endpoint == "api-docs.openapi_swagger_ui"


def page_urls(app: Flask, ids: dict[str, Any]) -> list[tuple[str, str]]:
    """(endpoint, path) for every page, its arguments filled from the seeded ids."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not is_page(rule):
            continue
        named = {**ids, **{k: ids[v] for k, v in ENDPOINT_IDS.get(rule.endpoint, {}).items()}}
        path = re.sub(r"<any\((\w+)[^)]*\):\w+>", r"\1", rule.rule)
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, named=named: str(named[m.group(1)]), path)
        for variant in VARIANTS.get(rule.endpoint, [""]):
            urls.append((rule.endpoint, path + variant.format(**ids)))
    return urls


WIDEST = """() => {
  const width = window.innerWidth;
  const over = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      const inside = el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1;
      const classes = typeof el.className === 'string' ? el.className.trim().split(/\\s+/) : [];
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        classes.filter(Boolean).map((c) => '.' + c).join('');
      if (!inside) over.push(name + ' (' + Math.round(box.right) + 'px)');
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, over: over.slice(0, 5)};
}"""


def overflow(page: Page, url: str, role: str | None, status: int = 200) -> str | None:
    """Why `url` does not fit the phone's width, or None when it does."""
    response = page.goto(url)
    if response is None or response.status != status:
        return f"answered {response.status if response else 'nothing'}"
    page.wait_for_load_state("load")
    measured = page.evaluate(WIDEST)
    fits = measured["scroll"] <= measured["width"]
    if EVERY_SHOT or not fits:
        name = re.sub(r"[^\w]+", "_", url.split("//", 1)[-1].split("/", 1)[-1]).strip("_")
        shot = SHOTS / f"{role or 'anonymous'}-{(name or 'home')[:80]}.png"
        page.screenshot(path=str(shot), full_page=True)
    if fits:
        return None
    return f"{measured['scroll']}px wide: {', '.join(measured['over'])}"


@pytest.fixture
def wide(app: Flask, make_user: Any) -> WideWorld:
    return build_wide(app, make_user)


OPENED: list[BrowserContext] = []  # the phones a test opened, closed after it


@pytest.fixture(autouse=True)
def _close_phones() -> Iterator[None]:
    """An open page keeps polling the session's live server (the bell's unread count) through
    every later test, whose statement counts and timings it would disturb."""
    yield
    while OPENED:
        OPENED.pop().close()


def phone(browser: Browser, live_server: str, user: Any = None) -> Page:
    context = browser.new_context(
        viewport=PHONE, timezone_id="Europe/Berlin", locale="en-GB", base_url=live_server
    )
    OPENED.append(context)
    page = context.new_page()
    if user is not None:
        sign_in(page, live_server, user)
        page.wait_for_load_state("load")  # the scripts' handlers are attached
    return page


def test_no_page_scrolls_sideways_on_a_phone(
    browser: Browser, live_server: str, app: Flask, wide: WideWorld
) -> None:
    SHOTS.mkdir(exist_ok=True)
    users = wide.world.users
    pages = {
        None: phone(browser, live_server),
        "admin": phone(browser, live_server, users["admin"]),
        "agent": phone(browser, live_server, users["agent"]),
    }
    failures = []
    visited = 0
    for endpoint, path in page_urls(app, wide.ids):
        roles = [None] if endpoint in SIGNED_OUT else ["admin"]
        if endpoint in AS_AGENT_TOO and "?" not in path:  # the variants need a supervisor
            roles.append("agent")
        for role in roles:
            visited += 1
            why = overflow(pages[role], live_server + path, role)
            if why:
                failures.append(f"{path} (as {role or 'signed out'}): {why}")
    # The error page is no route of its own.
    why = overflow(pages["admin"], f"{live_server}/no-such-page/{LONG_WORD}", "admin", 404)
    if why:
        failures.append(f"the 404 page: {why}")
    assert visited > 80  # every page was enumerated, not only a few
    assert not failures, "Pages wider than a 390 px phone:\n" + "\n".join(failures)


def focused_on(page: Page, selector: str) -> None:
    """Playwright's `to_be_focused` also wants the window focused, which a headless page may not
    report; the document's active element is what the keyboard acts on."""
    page.wait_for_function(
        "s => document.activeElement && document.activeElement.matches(s)",
        arg=selector,
        timeout=5000,
    )


def test_the_menu_opens_and_closes_by_keyboard_and_mouse(
    browser: Browser, live_server: str, make_user: Any
) -> None:
    page = phone(browser, live_server, make_user(Role.AGENT))
    button = page.get_by_role("button", name="Menu")
    customers = page.locator("#nav-links").get_by_role("link", name="Customers", exact=True)
    expect(button).to_be_visible()  # menu.js shows it once its handlers are attached
    expect(button).to_have_attribute("aria-controls", "nav-links")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(customers).to_be_hidden()
    # Folded, the bell, the search box and "New requirement" are still at hand.
    expect(page.locator("#nav-notifications")).to_be_visible()
    expect(page.get_by_label("Global search")).to_be_visible()
    expect(page.locator("#nav-new-requirement")).to_be_visible()

    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(customers).to_be_visible()
    page.keyboard.press("Tab")  # into the menu, then Escape closes it and returns to the button
    focused_on(page, "#nav-links li:first-child a")
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(customers).to_be_hidden()
    focused_on(page, "#nav-menu-button")
    page.keyboard.press("Space")
    expect(customers).to_be_visible()
    page.keyboard.press("Space")
    expect(customers).to_be_hidden()

    button.click()  # and by mouse: open, then a click elsewhere closes it
    expect(customers).to_be_visible()
    page.locator("main h1").click()
    expect(customers).to_be_hidden()
    button.click()
    customers.click()
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")


def test_without_javascript_every_link_is_listed_on_a_phone(
    browser: Browser, live_server: str, make_user: Any
) -> None:
    agent = make_user(Role.AGENT)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(agent.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    links = page.locator("#nav-links")
    expect(links.get_by_role("link", name="Customers", exact=True)).to_be_visible()
    expect(links.get_by_role("link", name="Strategies", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()  # it would do nothing
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_a_queue_shows_cards_labelled_with_their_columns_on_a_phone(
    browser: Browser, live_server: str, app: Flask, make_user: Any
) -> None:
    agent = make_user(Role.AGENT)
    customer_id = make_customer(app, name="Ana Lima")
    with app.app_context():
        requirements.open_requirement(
            db.session,
            customer_id=customer_id,
            title=f"Refund for {LONG_WORD}",
            clock=current_clock(),
            actor=None,
            assignee_id=agent.id,
        )
        db.session.commit()
    page = phone(browser, live_server, agent)
    page.goto(f"{live_server}/requirements")
    row = page.locator("#queue tbody tr").first
    expect(row).to_contain_text("Refund for")
    cells = row.locator("td").evaluate_all(
        """cells => cells.map(c => [c.dataset.label || '',
            getComputedStyle(c, '::before').content, getComputedStyle(c).display])"""
    )
    labels = {label for label, _, _ in cells}
    assert {"Title", "Customer", "State", "Priority", "Assignee"} <= labels
    shown = {before.strip('"') for label, before, _ in cells if label}
    assert "Title" in shown  # the label is drawn before the value
    assert {display for _, _, display in cells} == {"block"}  # a card, not a row of columns
    box = row.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_customer_filters_fold_open_and_apply_on_a_phone(
    browser: Browser, live_server: str, app: Flask, make_user: Any
) -> None:
    make_customer(app, name="Ana Lima", tags=["vip"])
    make_customer(app, name="Bruno Costa")
    page = phone(browser, live_server, make_user(Role.AGENT))
    page.goto(f"{live_server}/customers")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Bruno Costa")).to_be_visible()
    tag = page.locator('#customer-search select[name="tag"]')
    expect(tag).to_be_hidden()  # folded
    count = page.locator("#filter-count")
    expect(count).to_be_hidden()  # nothing filtered yet

    page.get_by_text("Filters and sorting").click()
    expect(tag).to_be_visible()
    tag_box = tag.bounding_box()
    assert tag_box is not None and tag_box["width"] > PHONE["width"] * 0.7  # full width
    tag.select_option("vip")

    expect(results.get_by_role("link", name="Ana Lima")).to_be_visible()
    expect(results.get_by_role("link", name="Bruno Costa")).to_have_count(0)
    expect(count).to_have_text("1 active")
    page.get_by_text("Filters and sorting").click()  # folded again, it still says so
    expect(tag).to_be_hidden()
    expect(count).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
