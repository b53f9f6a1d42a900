"""The unsubscribe page an outreach email links to speaks the customer's language (the email's),
whatever the browser asks for; a customer without a language gets the browser's."""

from datetime import UTC, datetime

from flask import Flask

from web.extensions import db
from workflows.customers import profiles
from workflows.outreach import links
from workflows.platform.clock import ManualClock


def _link(app: Flask, language: str | None) -> str:
    with app.app_context():
        customer = profiles.create_customer(
            db.session,
            {"name": "王芳", "emails": f"wf-{language}@example.cn", "language": language},
            actor_id=None,
            clock=ManualClock(datetime(2099, 1, 5, tzinfo=UTC)),
        )
        db.session.commit()
        settings = links.LinkSettings(app.config["SECRET_KEY"], app.config["BASE_URL"])
        return f"/u/{links.token_for(settings, customer.id)}"


def test_the_unsubscribe_page_speaks_the_customers_language(app: Flask) -> None:
    client = app.test_client()
    english_browser = {"Accept-Language": "en-GB,en;q=0.9"}
    link = _link(app, "zh-CN")
    page = client.get(link, headers=english_browser).get_data(as_text=True)
    assert '<html lang="zh-Hans"' in page
    assert "Stop marketing messages" not in page
    answer = client.post(link, headers=english_browser, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    done = answer.get_data(as_text=True)
    assert "You are unsubscribed" not in done
    assert "wf-zh-cn@example.cn" in done.lower()


def test_without_a_language_the_browser_decides(app: Flask) -> None:
    client = app.test_client()
    link = _link(app, None)
    page = client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Stop marketing messages to wf-none@example.cn?" in page
