"""Under the Content-Security-Policy, in Chromium: a script injected into a page does not run,
and the pages' own scripts (files, not inline) still do."""

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, Route, expect

from models import Role
from tests.browser.test_customers import make_customer, sign_in

pytestmark = pytest.mark.browser

INJECTED = (
    "<script>window.injected = true</script>"
    '<img src="/static/none.png" onerror="window.injectedHandler = true">'
)


def _csp_complaints(page: Page) -> list[str]:
    complaints: list[str] = []
    page.on(
        "console",
        lambda message: (
            complaints.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return complaints


def test_an_injected_inline_script_is_blocked(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    customer_id = make_customer(app, name="Ana Lima")
    sign_in(page, live_server, make_user(Role.AGENT))
    complaints = _csp_complaints(page)

    def inject(route: Route) -> None:
        response = route.fetch()
        body = response.text().replace("</main>", INJECTED + "</main>")
        route.fulfill(response=response, body=body)  # the server's headers, CSP included

    page.route(f"{live_server}/customers/{customer_id}", inject)
    page.goto(f"{live_server}/customers/{customer_id}")
    expect(page.get_by_role("heading", name="Ana Lima")).to_be_visible()
    page.wait_for_timeout(300)  # the image error (and its handler, were it allowed) fires
    assert page.evaluate("window.injected") is None
    assert page.evaluate("window.injectedHandler") is None
    assert complaints, "Chromium reported no blocked script"


def test_the_pages_own_scripts_still_work(
    page: Page, live_server: str, app: Flask, make_user: Any
) -> None:
    make_customer(app, name="Ana Lima", phones="+49 151 2345 6789")
    make_customer(app, name="Bruno Costa")
    sign_in(page, live_server, make_user(Role.ADMIN))
    complaints = _csp_complaints(page)

    page.goto(f"{live_server}/customers")
    page.get_by_label("Search customers").press_sequentially("151 234")
    expect(page.locator("#results").get_by_role("link", name="Bruno Costa")).to_have_count(0)

    page.goto(f"{live_server}/account")  # a data-confirm form: declining keeps the token
    page.get_by_label("Token name").fill("script")
    page.get_by_role("button", name="Create token").click()
    page.goto(f"{live_server}/account")
    page.get_by_role("button", name="Revoke").click()
    page.locator("#confirm-dialog").get_by_role("button", name="No, go back").click()
    expect(page.get_by_role("button", name="Revoke")).to_be_visible()

    page.goto(f"{live_server}/api/v1/docs")  # Swagger UI starts from a static file
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Rapport")
    assert complaints == []
