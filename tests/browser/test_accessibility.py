"""Every page passes axe-core with no serious or critical violation (WCAG 2.2 AA, issue #15).

The pages are every GET route of `app.url_map` that renders HTML, so a new page is checked
without anyone remembering to add it; the routes that answer something else (downloads, JSON,
event streams) are listed in NOT_PAGES with the reason. Each page is visited by the lowest
role that may see it (the permission matrix's table), on one seeded world with realistic
data, one browser context per role; the sign-in page and the public token pages signed out.

axe-core is vendored in tests/browser/vendor/axe-core (see its VERSION file and the README's
accessibility note) and injected into each page before its scripts run; the page's own
Content-Security-Policy stays on."""

import contextlib
import hashlib
import random
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from models import (
    Customer,
    Enrolment,
    LifecycleStage,
    Metric,
    Requirement,
    SlaClock,
    SlaStatus,
    User,
)
from tests.conftest import PASSWORD
from tests.integration.teams_world import World, build
from tests.integration.test_permission_matrix import PAGES
from tests.outreach_helpers import make_customers, make_strategy
from web.auth.invitation import settings as invitation_settings
from web.clocks import current_clock
from web.extensions import db
from web.outreach.settings import link_settings
from workflows.customers import imports, profiles
from workflows.outreach import activation, links, planning, strategies
from workflows.platform import accounts, invitations
from workflows.platform.publishing import take_pending
from workflows.privacy import erasure
from workflows.tracking import notifications, requirements

pytestmark = pytest.mark.browser

VENDOR = Path(__file__).parent / "vendor" / "axe-core"
AXE = VENDOR / "axe.min.js"

# GET routes that are not pages: what they answer instead of HTML. Everything under /api/ is
# JSON except the API's documentation page, which is checked like any page.
NOT_PAGES = {
    "/admin/sla-policies/<policy_id>/apply/status": "JSON polled by the progress bar",
    "/customers/export.csv": "CSV download",
    "/escalations/counts": "JSON polled by the navigation badge",
    "/escalations/live": "server-sent events",
    "/notifications/unread": "JSON polled by the bell",
    "/healthz": "JSON for monitors",
    "/imports/<job_id>/bad_rows.csv": "CSV download",
    "/imports/<job_id>/status.json": "JSON polled by the progress bar",
    "/search/suggest": "JSON for the header's search box",
    "/attachments/<attachment_id>": "file download",
    "/erasures/<job_id>/certificate.json": "JSON download",
    "/erasures/<job_id>/status.json": "JSON polled by the progress bar",
    "/requirements/<requirement_id>/mention-suggestions": "JSON for the @mention list",
    "/strategies/<strategy_id>/progress": "JSON polled by the progress bar",
    "/strategies/<strategy_id>/results": "JSON behind the strategy's results panel",
    "/reports/<kind>/data": "JSON behind the charts",
    "/static/<filename>": "files",
}
API_PAGES = {"/api/v1/docs": "public"}  # the Swagger UI page; the rest of /api/ is JSON
# The permission matrix's level of a page -> the role that visits it (None: signed out).
VISITOR = {
    "public": None,
    "user": "agent",
    "scoped": "agent",  # the agent's own team's requirement
    "own": "agent",  # the agent's own canned response
    "supervisor": "supervisor",
    "admin": "admin",
}
# What the seed puts on a few pages: proof that they were checked with their data shown.
SHOWS = {
    "/escalations": "Need of Team A",
    "/requirements/<requirement_id>": "We are on it.",
    "/customers/<customer_id>": "Called about the printer.",
    "/strategies/<strategy_id>": "Customer 0",
    "/duplicates": "Jonas Berg-Olsen",
    "/duplicates/merge": "Jonas Berg-Olsen",
}
# Pages that show more with a query string (the merge page compares the two it is given).
QUERY = {
    "/duplicates/merge": "?a={first_id}&b={second_id}",
    "/strategies/<strategy_id>/preview": "?customer_id={customer_id}&step=1",
}
IMPACTS = ("serious", "critical")
IDLE_MS = 2000


def _rule(rule: str) -> str:
    """A url_map rule as the permission matrix writes it: `<int:x>` -> `<x>`."""
    rule = re.sub(r"<any\([^)]*\):(\w+)>", r"<\1>", rule)
    return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule)


def _level(rule: str) -> str:
    if rule in API_PAGES:
        return API_PAGES[rule]
    levels = {route.split(" ", 1)[1]: level for route, level in PAGES.items()}
    levels = {_rule(r): level for r, level in levels.items()}
    return levels[rule]  # a KeyError: add the page to the permission matrix first


def html_pages(app: Flask) -> list[str]:
    """Every GET route that renders a page, as rules (`/customers/<customer_id>`)."""
    found = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = _rule(rule.rule)
        if path in NOT_PAGES or (path.startswith("/api/") and path not in API_PAGES):
            continue
        found.add(path)
    return sorted(found)


def _fill(rule: str, ids: dict[str, int | str]) -> str:
    values = dict(ids)
    if rule.startswith("/erasures/"):
        values["job_id"] = ids["erasure_job_id"]
    if rule.startswith("/invitation/"):
        values["token"] = ids["invitation"]
    if rule == "/customers/<customer_id>/purge":
        values["customer_id"] = ids["trashed_customer_id"]  # only a trashed customer is purged
    path = re.sub(r"<(\w+)>", lambda m: str(values[m.group(1)]), rule)
    return path + QUERY.get(rule, "").format(**ids)


# ---------------------------------------------------------------- the seeded world


def seed(app: Flask, make_user: Any) -> tuple[World, dict[str, Any]]:
    """One world for every page: a customer with communications and a duplicate, requirements
    with SLA clocks, a thread and an escalation, a strategy with enrolments, an import, an
    erasure, an invitation and the admin's reference data."""
    world = build(app, make_user)

    def made(who: str, path: str, body: dict[str, Any]) -> int:
        response = world.api(who, "POST", path, json=body)
        assert response.status_code == 201, (path, response.get_json())
        return int(response.get_json()["id"])

    customer = world.customer_id
    ids: dict[str, Any] = {
        "customer_id": customer,
        "trashed_customer_id": world.trashed_customer_id,
        "requirement_id": world.requirement_a,
        "team_id": world.team_a,
        "user_id": world.users["agent"].id,
        "organisation_id": made("agent", "/organisations", {"name": "Núñez GmbH"}),
        "segment_id": made("agent", "/segments", {"name": "Everyone", "definition": {}}),
        "communication_id": made(
            "agent",
            f"/customers/{customer}/communications",
            {"channel": "call", "direction": "inbound", "body": "Called about the printer."},
        ),
        "field_id": made(
            "admin",
            "/custom-fields",
            {"entity": "customer", "key": "size", "label": "Company size", "kind": "text"},
        ),
        "calendar_id": made(
            "admin",
            "/calendars",
            {
                "name": "Office",
                "time_zone": "Europe/Berlin",
                "periods": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
            },
        ),
        "canned_id": made("agent", "/canned-responses", {"name": "Hello", "body": "Hello!"}),
    }
    made("agent", f"/customers/{customer}/communications", {"channel": "note", "body": "VIP."})
    made(
        "agent",
        f"/customers/{customer}/transactions",
        {"kind": "order", "amount": "120", "currency": "EUR"},
    )
    made("admin", "/categories", {"name": "Billing"})
    made(
        "agent",
        "/saved-views",
        {"name": "Breached", "queue": "mine", "filters": {"sla": "breached"}},
    )
    thread = f"/requirements/{world.requirement_a}"
    assert (
        world.api("agent", "POST", f"{thread}/replies", json={"body": "We are on it."}).status_code
        == 201
    )
    assert (
        world.api("agent", "POST", f"{thread}/notes", json={"body": "Toner ordered."}).status_code
        == 201
    )
    ids["policy_id"] = world.api("admin", "GET", "/sla-policies").get_json()[0]["id"]

    with app.app_context():
        clock = current_clock()
        now = clock.now()
        session = db.session
        agent = session.get(User, world.users["agent"].id)
        # An escalation: the team's requirement breached its first response an hour ago, and
        # another is at risk.
        for requirement_id, breached in (
            (world.requirement_a, True),
            (world.requirement_free, False),
        ):
            sla_clock = session.scalars(
                select(SlaClock).where(
                    SlaClock.requirement_id == requirement_id,
                    SlaClock.metric == Metric.FIRST_RESPONSE,
                )
            ).first()
            assert sla_clock is not None
            if breached:
                sla_clock.status = SlaStatus.BREACHED
                sla_clock.due_at = sla_clock.breached_at = now - timedelta(hours=1)
                sla_clock.rung = 1
            else:
                sla_clock.warning_at = now - timedelta(minutes=5)
                sla_clock.due_at = now + timedelta(minutes=30)
        # Reports with data: a resolved requirement beside the open ones.
        done = requirements.open_requirement(
            session,
            customer_id=customer,
            title="Invoice address wrong",
            clock=clock,
            actor=agent,
            team_id=world.team_a,
            assignee_id=agent.id,
            assign_now=True,
        )
        requirements.fire(session, done, "start", actor=agent, clock=clock)
        requirements.fire(session, done, "resolve", actor=agent, clock=clock, note="Fixed.")
        # Two customers sharing a phone number: the duplicates and merge pages compare them.
        pair = [
            profiles.create_customer(
                session, {"name": name, "phones": "+49 30 1234567"}, actor_id=None, clock=clock
            ).id
            for name in ("Jonas Berg", "Jonas Berg-Olsen")
        ]
        ids["first_id"], ids["second_id"] = pair
        notifications.notify(
            session,
            "mentioned",
            [agent],
            session.get(Requirement, world.requirement_a),
            clock=clock,
        )
        # A strategy with enrolled customers.
        enrolled = make_customers(session, clock, 3)
        strategy = make_strategy(session, clock)
        session.commit()
        strategies.transition(session, strategy, "activate", clock=clock)
        take_pending(session)  # enrolled here, not by a worker
        planning.enrol(
            session,
            strategy,
            activation.audience_ids(session, strategy, clock=clock),
            clock=clock,
            rng=random.Random(7),  # noqa: S311 (a seeded draw, not a secret)
        )
        ids["strategy_id"] = strategy.id
        ids["enrolment_id"] = (
            session.execute(select(Enrolment.id).where(Enrolment.strategy_id == strategy.id))
            .scalars()
            .first()
        )
        ids["token"] = links.token_for(link_settings(), enrolled[0].id)
        # An import waiting for its mapping, and an erasure.
        job = imports.create_job(
            session,
            filename="people.csv",
            content="name,email\nZoe Park,zoe@example.com\n",
            created_by_id=agent.id,
            clock=clock,
        )
        ids["job_id"] = job.id
        erased = profiles.create_customer(
            session, {"name": "Erin Erase"}, actor_id=None, clock=clock
        )
        ids["erasure_job_id"] = erasure.request_erasure(
            session, erased, actor_id=None, clock=clock
        ).id
        take_pending(session)
        # An invited user's link, and the reference data's first stage.
        invited = accounts.create_user(
            session,
            clock=clock,
            email="new@example.com",
            name="New Person",
            password=PASSWORD,
            role="agent",
            time_zone="UTC",
        )
        session.flush()
        ids["invitation"] = invitations.token_for(invitation_settings(), invited, clock=clock)
        ids["stage_id"] = session.scalars(select(LifecycleStage.id)).first()
        session.commit()
        assert session.get(Customer, customer) is not None
    return world, ids


# ---------------------------------------------------------------- axe in the browser

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))
  }));
}"""


def _context(browser: Browser, args: dict[str, Any], live_server: str, user: Any) -> BrowserContext:
    context = browser.new_context(**args)
    context.add_init_script(path=str(AXE))  # before the page's scripts, past its CSP
    if user is not None:
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server}/")
        page.close()
    return context


def _violations(page: Page, url: str) -> list[str]:
    response = page.goto(url, wait_until="load")
    assert response is not None
    # Let scripts fetch and draw what they show (charts' tables, lists); polling never idles.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=IDLE_MS)
    problems = [] if response.status < 400 else [f"{url}: answered {response.status}"]
    kind = response.headers.get("content-type", "")
    if not kind.startswith("text/html"):
        return [f"{url}: answered {kind}, not a page (list it in NOT_PAGES)"]
    return problems + _axe_problems(page, url)


def _axe_problems(page: Page, where: str) -> list[str]:
    """axe's serious and critical violations: rule, element and summary (five per rule)."""
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} at {node['target']}: "
        + " ".join(node["summary"].split())[:300]
        for v in page.evaluate(AXE_RUN)
        if v["impact"] in IMPACTS
        for node in v["nodes"][:5]
    ]


def _opened_states(page: Page, live_server: str) -> list[str]:
    """What scripts open on top of a page: the header search's list and the "?" overlay."""
    page.goto(f"{live_server}/customers")
    box = page.get_by_role("combobox", name="Global search")
    box.fill("ana")
    page.locator("#global-search-list [role=option]").first.wait_for()
    problems = _axe_problems(page, "the global search's open list")
    box.press("Escape")
    page.locator("main h1").first.click()  # out of the field: "?" is a shortcut again
    page.keyboard.press("?")
    page.locator("#keyboard-help").wait_for()
    return problems + _axe_problems(page, "the keyboard shortcuts overlay")


def test_the_vendored_axe_is_the_pinned_release() -> None:
    pinned = re.search(r"axe.min.js sha256: (\w+)", (VENDOR / "VERSION").read_text())
    assert pinned, "VERSION names the file's sha256"
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == pinned.group(1)
    assert (VENDOR / "LICENSE").exists()


def test_every_route_is_a_checked_page_or_a_listed_non_page(app: Flask) -> None:
    pages = html_pages(app)
    assert "/login" in pages and "/customers/<customer_id>" in pages and "/api/v1/docs" in pages
    assert not set(pages) & set(NOT_PAGES)
    for rule in pages:
        assert _level(rule) in VISITOR, rule
    stale = set(NOT_PAGES) - {_rule(r.rule) for r in app.url_map.iter_rules()}
    assert stale == set(), "NOT_PAGES names routes that no longer exist"


def test_every_page_has_no_serious_or_critical_axe_violation(
    browser: Browser,
    browser_context_args: dict[str, Any],
    live_server: str,
    app: Flask,
    make_user: Any,
) -> None:
    world, ids = seed(app, make_user)
    by_visitor: dict[str | None, list[tuple[str, str]]] = {}
    for rule in html_pages(app):
        by_visitor.setdefault(VISITOR[_level(rule)], []).append((rule, _fill(rule, ids)))
    by_visitor["agent"].append(("error page", "/no-such-page"))
    problems: list[str] = []
    visited = 0
    for who, pages in by_visitor.items():
        context = _context(browser, browser_context_args, live_server, world.users.get(who or ""))
        page = context.new_page()
        for rule, path in pages:
            found = _violations(page, f"{live_server}{path}")
            if rule == "error page":
                found = [p for p in found if "answered 404" not in p]
            if rule in SHOWS and SHOWS[rule] not in page.inner_text("main"):
                found.append(f"{path}: the seed's {SHOWS[rule]!r} is not shown")
            problems += found
            visited += 1
        if who == "agent":
            problems += _opened_states(page, live_server)
        context.close()
    assert visited >= 60
    assert problems == [], f"{len(problems)} problems on {visited} pages:\n" + "\n".join(problems)


# ---------------------------------------------------------------- colours as rendered

# Computed colours of an element: its text and background, and the focus ring (Pico draws it as
# a box-shadow; an outline where a rule sets one).
COLOURS = """el => {
  const s = getComputedStyle(el);
  const ring = (s.boxShadow.match(/rgba?\\([^)]*\\)/g) || []).pop() || null;
  return {color: s.color, background: s.backgroundColor, ring: ring,
          outline: s.outlineStyle !== 'none' ? s.outlineColor : null};
}"""


def _rgb(css: str) -> tuple[float, float, float]:
    """An opaque `rgb()`/`rgba()` colour over white."""
    parts = [float(p) for p in re.findall(r"[\d.]+", css)]
    alpha = parts[3] if len(parts) > 3 else 1.0
    return tuple(alpha * c + (1 - alpha) * 255 for c in parts[:3])  # type: ignore[return-value]


def contrast(a: str, b: str) -> float:
    def luminance(css: str) -> float:
        def channel(c: float) -> float:
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b_ = (channel(c) for c in _rgb(css))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_matches_the_wcag_examples() -> None:
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert round(contrast("rgb(22, 163, 74)", "rgb(255, 255, 255)"), 2) == 3.30  # the old green
    assert round(contrast("rgba(2, 154, 232, 0.5)", "rgb(255, 255, 255)"), 2) == 1.76  # old ring


def test_badges_field_borders_and_focus_rings_meet_wcag_aa(page: Page, live_server: str) -> None:
    page.emulate_media(reduced_motion="reduce")  # Pico then skips its transitions: final colours
    page.goto(f"{live_server}/login")
    # Every badge colour, as the queues and the navigation draw them.
    page.evaluate(
        """() => {
          const link = document.createElement('link');
          link.rel = 'stylesheet'; link.href = '/static/requirements.css';
          document.head.appendChild(link);
          const box = document.createElement('p'); box.id = 'badges';
          for (const kind of ['', 'ok', 'warn', 'fail', 'state', 'priority-low',
                              'priority-normal', 'priority-high', 'priority-urgent']) {
            const badge = document.createElement('span');
            badge.className = ('badge ' + kind).trim(); badge.textContent = kind || 'role';
            box.appendChild(badge);
          }
          document.querySelector('main').appendChild(box);
        }"""
    )
    # requirements.css has loaded (a string predicate would need eval, which the CSP forbids).
    expect(page.locator("#badges .badge.state")).to_have_css("color", "rgb(30, 58, 138)")
    for badge in page.locator("#badges .badge").all():
        colours = badge.evaluate(COLOURS)
        ratio = contrast(colours["color"], colours["background"])
        assert ratio >= 4.5, (badge.get_attribute("class"), colours, ratio)

    email = page.get_by_label("Email")
    border = email.evaluate("el => getComputedStyle(el).borderTopColor")
    assert contrast(border, "rgb(255, 255, 255)") >= 3, border

    # Focus rings: Tab onto a link, a field and the button; each ring 3:1 against the page.
    page.locator(".skip-link").focus()
    for target in (
        page.get_by_role("link", name="Sign in"),
        email,
        page.get_by_role("button", name="Sign in"),
    ):
        target.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # by keyboard, so :focus-visible applies
        colours = target.evaluate(COLOURS)
        ring = colours["outline"] or colours["ring"]
        assert ring is not None, colours
        assert contrast(ring, "rgb(255, 255, 255)") >= 3, (target, colours)
