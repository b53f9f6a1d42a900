"""Human words everywhere a person reads: the main pages, rendered over a world with requirements
in every kind of state, edits, timers and failed mail, show no workflow code (`ask_customer`,
`waiting_on_customer`), no `*_id` field name and no raw outbox cause — only the declarations'
words ("Ask the customer"), field names ("Owner: Jonas → Ana") and causes in words."""

import html as html_lib
import re
from datetime import timedelta

from sqlalchemy import select

from models import (
    Customer,
    CustomFieldDefinition,
    FieldKind,
    OutboxMessage,
    OutboxStatus,
    Requirement,
    User,
)
from tests.integration.test_requirement_pages import World, world  # noqa: F401  (fixture)
from web.extensions import db
from workflows.customers import profiles
from workflows.tracking import requirements, workflow_words

CODES = sorted(
    {
        code
        for w in requirements.WORKFLOWS.values()
        for code in [*w.states, *(t["trigger"] for t in w.transitions)]
        + [s.kind for specs in w.timers.values() for s in specs]
        if "_" in code
    }
)
ID_FIELD = re.compile(r"\b[a-z]+(?:_[a-z]+)*_id\b")
CUSTOM_KEY = re.compile(r"\bsupport_plan\b")


def visible_text(html: str) -> str:
    """What a person reads: no scripts, styles, tags or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # The workflow page's Mermaid source is code on purpose (for the docs), folded away.
    html = re.sub(r'<pre class="mermaid-source">.*?</pre>', " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return html_lib.unescape(html)


def raw_codes(text: str) -> list[str]:
    found = [c for c in CODES if re.search(rf"\b{re.escape(c)}\b", text)]
    return found + ID_FIELD.findall(text) + CUSTOM_KEY.findall(text)


def test_every_state_and_trigger_has_declared_words() -> None:
    assert set(workflow_words.WORKFLOWS) == set(requirements.WORKFLOWS)
    for w in requirements.WORKFLOWS.values():
        assert set(w.states) <= set(w.state_labels), w.key
        assert {t["trigger"] for t in w.transitions} <= set(w.trigger_labels), w.key
        assert all(s.label for specs in w.timers.values() for s in specs), w.key
        assert "_" not in " ".join([*w.state_labels.values(), *w.trigger_labels.values()])


def test_the_main_pages_show_words_not_codes(world: World) -> None:  # noqa: F811
    agent, lead = world.users["agent"].id, world.users["lead"].id
    waiting = world.open("Waiting one", assignee_id=agent)
    world.fire(waiting, "assign", "start", "ask_customer")
    cancelled = world.open("Cancelled one", assignee_id=agent)
    world.fire(cancelled, "assign", "cancel")
    world.clock.advance(timedelta(days=2, minutes=1))
    world.run_due_timers()  # the first reminder to the customer fires on `waiting`
    with world.app.app_context():
        req = db.session.get(Requirement, waiting)
        requirements.update_requirement(
            db.session,
            req,
            {"assignee_id": world.users["colleague"].id},
            expected_version=req.version,
            actor=db.session.get(User, lead),
            clock=world.clock,
        )
        db.session.add(
            CustomFieldDefinition(
                entity="customer",
                key="support_plan",
                label="Support plan",
                kind=FieldKind.TEXT,
                created_at=world.clock.now(),
            )
        )
        customer = db.session.get(Customer, world.customer)
        profiles.update_customer(
            db.session,
            customer,
            {"owner_id": agent, "custom": {"support_plan": "gold"}},
            expected_version=customer.version,
            actor_id=lead,
            clock=world.clock,
        )
        db.session.add(
            OutboxMessage(
                idempotency_key="words-test",
                cause=f"timer:first_response:breach:requirement:{waiting}",
                to_address="agent@example.com",
                subject="Breached",
                body_text="-",
                message_id="<words-test@example.com>",
                status=OutboxStatus.DEAD,
                attempts=5,
                next_attempt_at=world.clock.now(),
                created_at=world.clock.now(),
                last_error="no SMTP server: [Errno 111] Connection refused",
            )
        )
        db.session.commit()
        organisation_id = db.session.scalar(select(Customer.organisation_id))

    admin = world.client("admin")
    pages = [
        "/requirements",
        "/requirements?scope=all",
        f"/requirements/{waiting}",
        f"/requirements/{cancelled}",
        "/admin/workflows",
        f"/customers/{world.customer}",
        f"/customers/{world.customer}/history",
        "/escalations",
        "/admin/outbox",
        "/no-such-page",
    ]
    if organisation_id:
        pages.append(f"/organisations/{organisation_id}")
    texts = {}
    for path in pages:
        response = admin.get(path)
        assert response.status_code == (404 if path == "/no-such-page" else 200), path
        texts[path] = visible_text(response.get_data(as_text=True))
        assert raw_codes(texts[path]) == [], path

    # And the words are there instead.
    assert "Ask the customer" in texts[f"/requirements/{waiting}"]
    assert "waiting on customer" in texts[f"/requirements/{waiting}"]
    assert "Assignee: Alma Agent → Carl Colleague" in texts[f"/requirements/{waiting}"]
    history = " ".join(texts[f"/customers/{world.customer}/history"].split())
    assert "Owner — Alma Agent" in history or "Owner Alma Agent" in history
    assert "Support plan: gold" in history
    outbox = " ".join(texts["/admin/outbox"].split())
    assert f"SLA breach notice for #{waiting} (first response)" in outbox
    assert "the mail server refused the connection" in outbox
    assert "Not found" in texts["/no-such-page"]
