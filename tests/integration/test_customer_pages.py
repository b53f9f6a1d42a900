"""The customer pages through HTTP on the real database: forms, the 360 page, quick log, trash,
history and the searchable list, with each endpoint's role checked."""

import html as html_lib
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import (
    AuditEntry,
    Channel,
    Communication,
    CommunicationChannel,
    Customer,
    CustomFieldDefinition,
    FieldKind,
    Role,
    User,
)
from tests.conftest import csrf_token, login
from tests.integration.test_admin import _FormReader
from tests.role_matrix import assert_each_role, record_path
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import communications, merge, organisations, profiles, transactions

# ---------------------------------------------------------------- helpers


class _CustomerFormReader(_FormReader):
    """The admin pages' form reader, plus textareas and multiple selections."""

    def __init__(self) -> None:
        super().__init__()
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.values.setdefault(self._textarea, "")
        elif tag == "option" and self._select and "selected" in a and self._select in self.values:
            previous = self.values[self._select]
            chosen = previous if isinstance(previous, list) else [previous]
            self.values[self._select] = [*chosen, a.get("value")]
        else:
            super().handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            if self._textarea is not None:
                # HTML drops one newline right after <textarea>.
                self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None
        super().handle_endtag(tag)


def form_values(html: str) -> dict[str, Any]:
    reader = _CustomerFormReader()
    reader.feed(html)
    return reader.values


@pytest.fixture
def agent(make_user: Any) -> User:
    return make_user(Role.AGENT, name="Alma Agent", time_zone="Asia/Tokyo")


def signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


@pytest.fixture
def agent_client(app: Flask, agent: User) -> FlaskClient:
    return signed_in(app, agent)


def make_customer(app: Flask, **data: Any) -> int:
    data.setdefault("name", "Ana Lima")
    with app.app_context():
        customer = profiles.create_customer(db.session, data, actor_id=None, clock=current_clock())
        db.session.commit()
        return customer.id


def get(app: Flask, customer_id: int) -> Customer:
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert customer is not None
        for relation in (customer.emails, customer.phones, customer.tags, customer.consents):
            list(relation)
        db.session.expunge_all()
        return customer


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def field_error(html: str, field_id: str) -> str:
    """The message shown at a form field (the _forms.html macro's `<id>-error`)."""
    match = re.search(rf'id="{re.escape(field_id)}-error">([^<]*)<', html)
    assert match, f"no error shown at {field_id}"
    return html_lib.unescape(match.group(1))


def post_form(client: FlaskClient, path: str, values: dict[str, Any], form_page: str = "") -> Any:
    """POST `values` to `path` with the CSRF token of `form_page` (default: `path` itself)."""
    data = {"csrf_token": csrf_token(client, form_page or path), **values}
    return client.post(path, data=data)


def add_custom_fields(app: Flask) -> None:
    with app.app_context():
        now = current_clock().now()
        db.session.add_all(
            [
                CustomFieldDefinition(
                    entity="customer",
                    key="seats",
                    label="Seats",
                    kind=FieldKind.NUMBER,
                    is_required=True,
                    created_at=now,
                ),
                CustomFieldDefinition(
                    entity="customer",
                    key="plan",
                    label="Plan",
                    kind=FieldKind.SINGLE_CHOICE,
                    choices=["basic", "pro"],
                    created_at=now,
                ),
                CustomFieldDefinition(
                    entity="customer",
                    key="channels",
                    label="Channels",
                    kind=FieldKind.MULTI_CHOICE,
                    choices=["web", "shop", "phone"],
                    created_at=now,
                ),
            ]
        )
        db.session.commit()


# ---------------------------------------------------------------- new and edit


def test_agent_creates_a_customer_with_custom_fields_and_consent(
    app: Flask, agent: User, agent_client: FlaskClient
) -> None:
    add_custom_fields(app)
    page = text_of(agent_client.get("/customers/new"))
    for label in ("Seats", "Plan (optional)", "Channels (optional)", "Email consent"):
        assert label in page
    response = post_form(
        agent_client,
        "/customers/new",
        {
            "name": "Ana Lima",
            "emails": "Ana.Lima@Example.com\nana@work.example.com",
            "phones": "+49 151 2345 6789",
            "owner_id": str(agent.id),
            "stage": "prospect",
            "time_zone": "Europe/Berlin",
            "language": "pt-BR",
            "city": "Berlin",
            "country": "de",
            "tags": "VIP, Berlin",
            "notes": "Prefers mornings.",
            "custom__seats": "12",
            "custom__plan": "pro",
            "custom__channels": ["web", "phone"],
            "consent_email": "granted",
            "consent_email_method": "web form",
        },
    )
    assert response.status_code == 302
    customer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    customer = get(app, customer_id)
    assert customer.primary_email == "ana.lima@example.com"
    assert [p.e164 for p in customer.phones] == ["+4915123456789"]
    assert [t.name for t in customer.tags] == ["berlin", "vip"]
    assert customer.custom == {"seats": 12, "plan": "pro", "channels": ["web", "phone"]}
    assert (customer.owner_id, customer.country, customer.time_zone) == (
        agent.id,
        "DE",
        "Europe/Berlin",
    )
    (consent,) = customer.consents
    assert (consent.channel, consent.is_granted, consent.method) == (
        Channel.EMAIL,
        True,
        "web form",
    )


def test_bad_input_is_refused_at_each_field_and_nothing_is_saved(
    app: Flask, agent_client: FlaskClient
) -> None:
    add_custom_fields(app)
    response = post_form(
        agent_client,
        "/customers/new",
        {
            "name": "Ana Lima",
            "emails": "not-an-email",
            "phones": "12",
            "time_zone": "Mars/Olympus",
            "custom__seats": "a dozen",
            "custom__plan": "gold",
            "consent_sms": "granted",
            "consent_sms_method": "",
        },
    )
    assert response.status_code == 422
    html = text_of(response)
    assert "not-an-email" in field_error(html, "emails")
    assert "not a phone number" in field_error(html, "phones") or "valid" in field_error(
        html, "phones"
    )
    assert "Mars/Olympus" in field_error(html, "time_zone")
    # The zone is typed with suggestions (a datalist) and keeps what was typed.
    assert 'list="time_zone-zones"' in html and 'value="Mars/Olympus"' in html
    assert '<option value="America/Sao_Paulo">' in html
    assert field_error(html, "custom__seats") == "Enter a number."
    assert "basic, pro" in field_error(html, "custom__plan")
    assert "Say how" in field_error(html, "consent_sms_method")
    # What was typed stays in the form.
    assert form_values(html)["custom__seats"] == "a dozen"
    assert count(app, Customer) == 0
    assert count(app, AuditEntry) == 0


def test_a_missing_consent_method_alone_saves_nothing(
    app: Flask, agent_client: FlaskClient
) -> None:
    response = post_form(
        agent_client, "/customers/new", {"name": "Ana Lima", "consent_phone": "withdrawn"}
    )
    assert response.status_code == 422
    assert "Say how" in field_error(text_of(response), "consent_phone_method")
    assert count(app, Customer) == 0


def test_edit_saves_changes_and_records_consent_withdrawal(
    app: Flask, agent_client: FlaskClient
) -> None:
    customer_id = make_customer(app, emails="ana@example.com", city="Porto")
    path = f"/customers/{customer_id}/edit"
    values = form_values(text_of(agent_client.get(path)))
    assert values["name"] == "Ana Lima" and values["city"] == "Porto"
    values.update(city="Lisbon", consent_email="withdrawn", consent_email_method="phone call")
    response = agent_client.post(path, data=values)
    assert response.status_code == 302
    customer = get(app, customer_id)
    assert customer.city == "Lisbon"
    assert customer.consent_for(Channel.EMAIL).is_granted is False
    page = text_of(agent_client.get(f"/customers/{customer_id}"))
    assert "withdrawn" in page and "phone call" in page


def test_stale_saves_merge_and_only_fields_both_changed_are_a_conflict(
    app: Flask, make_user: Any, agent_client: FlaskClient
) -> None:
    customer_id = make_customer(app, city="Porto", notes="Old note")
    path = f"/customers/{customer_id}/edit"
    other_client = signed_in(app, make_user(Role.AGENT, name="Ben Other"))
    first = form_values(text_of(agent_client.get(path)))
    second = form_values(text_of(other_client.get(path)))

    first.update(name="Ana Lima-Souza")
    assert agent_client.post(path, data=first).status_code == 302
    # Saved on the old version, other fields: both changes survive.
    second.update(city="Lisbon", notes="Asked for a callback")
    merged = other_client.post(path, data=second)
    assert merged.status_code == 302
    saved = get(app, customer_id)
    assert (saved.name, saved.city, saved.notes) == (
        "Ana Lima-Souza",
        "Lisbon",
        "Asked for a callback",
    )
    assert "what someone else changed meanwhile is kept: Name" in text_of(
        other_client.get(merged.headers["Location"])
    )

    # The same field, to different values: a conflict showing only that field, with who.
    third = form_values(text_of(other_client.get(path)))
    fourth = form_values(text_of(agent_client.get(path)))
    third.update(city="Braga")
    assert other_client.post(path, data=third).status_code == 302
    fourth.update(city="Faro", notes="Wants a visit")
    conflict = agent_client.post(path, data=fourth)
    assert conflict.status_code == 409
    html = text_of(conflict)
    table = html.split('id="conflict"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">([^<]+)</th>', table) == ["City"]
    assert "Braga" in table and "Faro" in table
    assert "changed by Ben Other just now" in table
    assert "version" not in table.lower()
    # Nothing lost: the form holds this editor's entries, against the saved version.
    kept = form_values(html)
    assert (kept["city"], kept["notes"].strip()) == ("Faro", "Wants a visit")
    assert kept["version"] == str(get(app, customer_id).version)
    assert (get(app, customer_id).city, get(app, customer_id).notes) == (
        "Braga",
        "Asked for a callback",
    )
    assert agent_client.post(path, data=kept).status_code == 302
    saved = get(app, customer_id)
    assert (saved.name, saved.city, saved.notes) == ("Ana Lima-Souza", "Faro", "Wants a visit")


def test_edit_with_bad_input_keeps_the_saved_customer(
    app: Flask, agent_client: FlaskClient
) -> None:
    customer_id = make_customer(app, emails="ana@example.com")
    path = f"/customers/{customer_id}/edit"
    values = form_values(text_of(agent_client.get(path)))
    values.update(name="", emails="ana@", city="Lisbon")
    response = agent_client.post(path, data=values)
    assert response.status_code == 422
    html = text_of(response)
    assert field_error(html, "name") == "This field is required."
    assert "ana@" in field_error(html, "emails")
    customer = get(app, customer_id)
    assert (customer.name, customer.city, customer.version) == ("Ana Lima", None, 1)


# ---------------------------------------------------------------- the 360 page


def _log(app: Flask, customer_id: int, **data: Any) -> None:
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        communications.log_communication(
            db.session, customer, data, actor_id=None, clock=current_clock()
        )
        db.session.commit()


def _buy(app: Flask, customer_id: int, **data: Any) -> None:
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        transactions.record_transaction(
            db.session, customer, data, actor_id=None, clock=current_clock()
        )
        db.session.commit()


def test_customer_page_shows_profile_consent_money_and_one_timeline(
    app: Flask, agent_client: FlaskClient
) -> None:
    customer_id = make_customer(
        app, emails="ana@example.com", phones="+49 151 2345 6789", tags="vip", stage="customer"
    )
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        profiles.set_consent(
            db.session,
            customer,
            "sms",
            granted=True,
            method="signed form",
            actor_id=None,
            clock=current_clock(),
        )
        db.session.commit()
    _buy(app, customer_id, kind="order", amount="100.10", currency="EUR", occurred_on="2026-01-02")
    _buy(app, customer_id, kind="refund", amount="0.10", currency="EUR", occurred_on="2026-01-03")
    _buy(app, customer_id, kind="order", amount="5", currency="USD", occurred_on="2025-12-01")
    _log(app, customer_id, channel="call", body="Older call", occurred_at="2025-11-01T10:00")
    _log(app, customer_id, channel="note", body="Newest note", occurred_at="2026-01-04T10:00")

    html = text_of(agent_client.get(f"/customers/{customer_id}"))
    assert "ana@example.com" in html and "+4915123456789" in html
    assert "vip" in html and "Customer" in html
    consent = html.split('id="consent"')[1]
    assert "granted" in consent and "signed form" in consent
    assert "€100.00" in html and "$5.00" in html
    assert 'id="last-purchase">2026-01-02<' in html
    timeline = html.split('id="timeline"')[1]
    order = [timeline.index(s) for s in ("Newest note", "Refund", "Order", "Older call")]
    assert order == sorted(order)

    only_money = text_of(agent_client.get(f"/customers/{customer_id}?kind=transaction"))
    timeline = only_money.split('id="timeline"')[1]
    assert "Refund" in timeline and "Newest note" not in timeline

    calls = text_of(agent_client.get(f"/customers/{customer_id}?channel=call"))
    timeline = calls.split('id="timeline"')[1]
    assert "Older call" in timeline and "Newest note" not in timeline and "Refund" not in timeline


def test_timeline_pages_with_an_older_link(app: Flask, agent_client: FlaskClient) -> None:
    customer_id = make_customer(app)
    for day in range(1, 31):
        _log(
            app,
            customer_id,
            channel="note",
            body=f"note {day:02d}",
            occurred_at=f"2025-11-{day:02d}",
        )
    html = text_of(agent_client.get(f"/customers/{customer_id}"))
    timeline = html.split('id="timeline"')[1]
    assert "Customer created" in timeline  # the record's own events take part too
    assert "note 30" in timeline and "note 07" in timeline and "note 06" not in timeline
    older = re.search(r'href="([^"]*before=[^"]*)#timeline"', html)
    assert older
    html = text_of(agent_client.get(older.group(1).replace("&amp;", "&")))
    timeline = html.split('id="timeline"')[1]
    assert "note 06" in timeline and "note 01" in timeline and "note 07" not in timeline


def test_quick_log_takes_the_time_in_the_viewers_zone_and_lands_on_top(
    app: Flask, agent: User, agent_client: FlaskClient
) -> None:
    customer_id = make_customer(app)
    _log(app, customer_id, channel="note", body="Earlier note", occurred_at="2025-01-01T10:00")
    path = f"/customers/{customer_id}/communications"
    page = f"/customers/{customer_id}"
    response = post_form(
        agent_client,
        path,
        {"channel": "call", "body": "Called about the invoice", "duration_minutes": "5"},
        page,
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer_id}#timeline")
    html = text_of(agent_client.get(f"/customers/{customer_id}"))
    timeline = html.split('id="timeline"')[1]
    assert timeline.index("Called about the invoice") < timeline.index("Earlier note")

    # The agent is in Tokyo: 09:30 there is 00:30 UTC.
    response = post_form(
        agent_client,
        path,
        {"channel": "visit", "body": "Visited the shop", "occurred_at": "2026-01-05T09:30"},
        page,
    )
    assert response.status_code == 302
    with app.app_context():
        visit = db.session.scalar(
            select(Communication).where(Communication.channel == CommunicationChannel.VISIT)
        )
        assert visit.occurred_at == datetime(2026, 1, 5, 0, 30, tzinfo=UTC)
        assert visit.author_id == agent.id


def test_quick_log_with_bad_input_shows_messages_and_saves_nothing(
    app: Flask, agent_client: FlaskClient
) -> None:
    customer_id = make_customer(app)
    response = post_form(
        agent_client,
        f"/customers/{customer_id}/communications",
        {"channel": "call", "body": "Typed text survives", "duration_minutes": "-5"},
        f"/customers/{customer_id}",
    )
    assert response.status_code == 422
    html = text_of(response)
    assert "cannot be negative" in html
    assert "Typed text survives" in html
    assert count(app, Communication) == 0


# ---------------------------------------------------------------- trash and history


def test_supervisor_trashes_and_restores_and_admin_purges(app: Flask, make_user: Any) -> None:
    customer_id = make_customer(app, emails="ana@example.com")
    supervisor = signed_in(app, make_user(Role.SUPERVISOR))
    admin = signed_in(app, make_user(Role.ADMIN))

    confirm = supervisor.get(f"/customers/{customer_id}/delete")
    assert confirm.status_code == 200 and "Move Ana Lima to the trash?" in text_of(confirm)
    response = post_form(supervisor, f"/customers/{customer_id}/delete", {}, "/account")
    assert response.status_code == 302
    assert supervisor.get(f"/customers/{customer_id}").status_code == 404
    assert "Ana Lima" not in text_of(supervisor.get("/customers"))
    assert "Ana Lima" in text_of(supervisor.get("/customers/trash"))

    response = post_form(supervisor, f"/customers/{customer_id}/restore", {}, "/customers/trash")
    assert response.status_code == 302
    assert get(app, customer_id).deleted_at is None
    assert "The trash is empty." in text_of(supervisor.get("/customers/trash"))

    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        profiles.delete_customer(db.session, customer, actor_id=None, clock=current_clock())
        db.session.commit()
    page = text_of(admin.get(f"/customers/{customer_id}/purge"))
    assert "This cannot be undone." in page
    token = csrf_token(admin, f"/customers/{customer_id}/purge")
    wrong = admin.post(
        f"/customers/{customer_id}/purge", data={"csrf_token": token, "confirm_name": "Ana"}
    )
    assert wrong.status_code == 422
    assert "Type the customer's name" in field_error(text_of(wrong), "confirm_name")
    assert count(app, Customer) == 1
    right = admin.post(
        f"/customers/{customer_id}/purge", data={"csrf_token": token, "confirm_name": "Ana Lima"}
    )
    assert right.status_code == 302
    assert count(app, Customer) == 0
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["create", "delete", "restore", "delete", "purge"]


def test_a_purge_keeps_the_audit_rows_but_not_the_customers_email_or_phone(
    app: Flask, make_user: Any
) -> None:
    customer_id = make_customer(app, emails="ana@example.com", phones="+49 151 23456789")
    with app.app_context():
        clock = current_clock()
        customer = db.session.get(Customer, customer_id)
        profiles.update_customer(
            db.session,
            customer,
            {"emails": "ana@example.com, ana.lima@example.org"},
            expected_version=customer.version,
            actor_id=None,
            clock=clock,
        )
        colleague = profiles.create_customer(  # someone else's record that mentions Ana's address
            db.session,
            {"name": "Bruno", "notes": "Cousin of Ana (ANA@example.com)"},
            actor_id=None,
            clock=clock,
        )
        profiles.delete_customer(db.session, customer, actor_id=None, clock=clock)
        db.session.commit()
        rows_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
        colleague_id = colleague.id
    admin = signed_in(app, make_user(Role.ADMIN))
    token = csrf_token(admin, f"/customers/{customer_id}/purge")
    response = admin.post(
        f"/customers/{customer_id}/purge", data={"csrf_token": token, "confirm_name": "Ana Lima"}
    )
    assert response.status_code == 302

    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert len(entries) == rows_before + 1  # every row kept, the purge added
        text = " ".join(f"{e.changes} {e.note}" for e in entries).lower()
        for trace in ("ana@example.com", "ana.lima@example.org", "4915123456789", "ana lima"):
            assert trace not in text, trace
        purge = entries[-1]
        assert (purge.action, purge.entity_id) == ("purge", customer_id)
        assert purge.changes["emails"] == ["[erased]", None]
        bruno = next(e for e in entries if e.entity_id == colleague_id and e.action == "create")
        assert bruno.changes["name"] == [None, "Bruno"]  # only what mentioned Ana is erased
        assert bruno.changes["notes"] == [None, "[erased]"]


def test_a_merged_away_customer_leads_to_the_survivor(
    app: Flask, agent_client: FlaskClient
) -> None:
    survivor_id = make_customer(app, name="Ana Lima", emails="ana@example.com")
    other_id = make_customer(app, name="Ana M. Lima", emails="ana.m@example.com")
    with app.app_context():
        survivor = db.session.get(Customer, survivor_id)
        other = db.session.get(Customer, other_id)
        merge.merge_customers(
            db.session,
            survivor,
            other,
            choices={},
            expected_versions={survivor_id: survivor.version, other_id: other.version},
            actor_id=None,
            clock=current_clock(),
        )
        db.session.commit()
    response = agent_client.get(f"/customers/{other_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{survivor_id}")
    assert "Ana M. Lima was merged into this customer." in text_of(
        agent_client.get(response.headers["Location"])
    )
    assert agent_client.get(f"/customers/{other_id}/edit").status_code == 404


def test_history_shows_who_changed_which_field_when(
    app: Flask, agent: User, agent_client: FlaskClient
) -> None:
    customer_id = make_customer(app, city="Porto")
    path = f"/customers/{customer_id}/edit"
    values = form_values(text_of(agent_client.get(path)))
    values.update(city="Lisbon")
    assert agent_client.post(path, data=values).status_code == 302

    html = text_of(agent_client.get(f"/customers/{customer_id}/history"))
    update = html.split('data-action="update"')[1].split("</article>")[0]
    assert "Alma Agent" in update
    assert re.search(
        r'City</th>\s*<td class="before">Porto</td><td class="after">Lisbon</td>', update
    )
    assert "+09:00" in update  # the time in the viewer's zone (Tokyo)
    created = html.split('data-action="create" data-entity="customer"')[1]
    assert "the system" in created and "Ana Lima" in created

    # The customer's communications are audited on the same page.
    _log(app, customer_id, channel="call", body="Rang about the order")
    html = text_of(agent_client.get(f"/customers/{customer_id}/history"))
    logged = html.split('data-entity="communication"')[1].split("</article>")[0]
    assert "Created</strong> communication #" in logged and "Rang about the order" in logged


# ---------------------------------------------------------------- the list


def test_list_finds_by_phone_fragment_and_returns_a_fragment_to_fetch(
    app: Flask, agent_client: FlaskClient
) -> None:
    make_customer(app, name="Ana Lima", phones="+49 151 2345 6789")
    make_customer(app, name="Bruno Costa", phones="+351 912 345 678")
    html = text_of(agent_client.get("/customers?q=151+234"))
    results = html.split('id="results"')[1]
    assert "Ana Lima" in results and "Bruno Costa" not in results
    assert "<mark>" in results
    assert 'href="/customers/export.csv?q=151+234"' in results  # the same list as CSV

    fragment = agent_client.get("/customers?q=bruno", headers={"X-Requested-With": "fetch"})
    assert fragment.status_code == 200
    body = text_of(fragment)
    assert "<html" not in body and "Bruno Costa" in body and "Ana Lima" not in body

    empty = text_of(agent_client.get("/customers?q=nobody+here"))
    assert "No customer matches “nobody here”" in empty


def test_list_filters_sorts_and_pages(app: Flask, agent: User, agent_client: FlaskClient) -> None:
    assert "No customers yet." in text_of(agent_client.get("/customers"))
    for n in range(30):
        make_customer(
            app,
            name=f"Customer {n:02d}",
            tags="vip" if n % 3 == 0 else "",
            stage="lead" if n < 10 else "customer",
            owner_id=agent.id if n == 7 else None,
        )
    first = text_of(agent_client.get("/customers"))
    assert "Customer 00" in first and "Customer 24" in first and "Customer 25" not in first
    next_link = re.search(r'href="([^"]+)"[^>]*id="next-page"', first)
    assert next_link
    second = text_of(agent_client.get(next_link.group(1).replace("&amp;", "&")))
    assert "Customer 25" in second and "Customer 29" in second and "Customer 24" not in second
    assert 'id="next-page"' not in second

    by_tag = text_of(agent_client.get("/customers?tag=vip&stage=lead"))
    names = re.findall(r"Customer \d\d", by_tag.split('id="results"')[1])
    assert names == ["Customer 00", "Customer 03", "Customer 06", "Customer 09"]
    by_owner = text_of(agent_client.get(f"/customers?owner={agent.id}"))
    assert re.findall(r"Customer \d\d", by_owner.split('id="results"')[1]) == ["Customer 07"]
    backwards = text_of(agent_client.get("/customers?sort=-name"))
    assert backwards.split('id="results"')[1].index("Customer 29") < backwards.split(
        'id="results"'
    )[1].index("Customer 28")

    created = text_of(agent_client.get("/customers?created_from=2000-01-01&created_to=2100-01-01"))
    assert "Customer 00" in created
    long_ago = text_of(agent_client.get("/customers?created_to=2000-01-01"))
    assert "Customer 00" not in long_ago and "No customer matches" in long_ago
    bad = agent_client.get("/customers?created_from=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in text_of(bad)


def _organisations(app: Flask, names: list[str]) -> list[int]:
    with app.app_context():
        made = [
            organisations.create_organisation(
                db.session, {"name": name}, actor_id=None, clock=current_clock()
            )
            for name in names
        ]
        db.session.commit()
        return [o.id for o in made]


def test_list_filters_by_organisation_from_a_list_or_by_name_when_there_are_many(
    app: Flask, agent_client: FlaskClient
) -> None:
    acme, globex = _organisations(app, ["Acme", "Globex"])
    make_customer(app, name="Ana Lima", organisation_id=acme)
    make_customer(app, name="Bruno Costa", organisation_id=globex)
    html = text_of(agent_client.get(f"/customers?organisation={acme}"))
    assert '<select name="organisation">' in html
    results = html.split('id="results"')[1]
    assert "Ana Lima" in results and "Bruno Costa" not in results

    _organisations(app, [f"Filler {n:03d}" for n in range(200)])
    html = text_of(agent_client.get("/customers?organisation_name=globex"))
    assert '<select name="organisation">' not in html  # a name box instead of 202 options
    results = html.split('id="results"')[1]
    assert "Bruno Costa" in results and "Ana Lima" not in results
    ambiguous = agent_client.get("/customers?organisation_name=Filler")
    assert ambiguous.status_code == 422
    assert "Several match" in text_of(ambiguous)

    # The customer form takes the organisation's name too.
    new = text_of(agent_client.get("/customers/new"))
    assert 'name="organisation_id" type="text"' in new
    refused = post_form(
        agent_client, "/customers/new", {"name": "Carla Dias", "organisation_id": "Filler 1"}
    )
    assert refused.status_code == 422
    assert field_error(text_of(refused), "organisation_id") == "Several match; type more."
    response = post_form(
        agent_client, "/customers/new", {"name": "Carla Dias", "organisation_id": "filler 123"}
    )
    assert response.status_code == 302
    customer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Customer, customer_id).organisation.name == "Filler 123"
    edit = form_values(text_of(agent_client.get(f"/customers/{customer_id}/edit")))
    assert edit["organisation_id"] == "Filler 123"


# ---------------------------------------------------------------- roles


ENDPOINTS = [
    # (method, path template, lowest role allowed)
    ("GET", "/customers", Role.AGENT),
    ("GET", "/customers/new", Role.AGENT),
    ("POST", "/customers/new", Role.AGENT),
    ("GET", "/customers/{id}", Role.AGENT),
    ("GET", "/customers/{id}/edit", Role.AGENT),
    ("POST", "/customers/{id}/edit", Role.AGENT),
    ("GET", "/customers/{id}/history", Role.AGENT),
    ("POST", "/customers/{id}/communications", Role.AGENT),
    ("GET", "/customers/{id}/delete", Role.SUPERVISOR),
    ("POST", "/customers/{id}/delete", Role.SUPERVISOR),
    ("GET", "/customers/trash", Role.SUPERVISOR),
    ("POST", "/customers/{trashed}/restore", Role.SUPERVISOR),
    ("GET", "/customers/{trashed}/purge", Role.ADMIN),
    ("POST", "/customers/{trashed}/purge", Role.ADMIN),
]


@pytest.mark.parametrize(("method", "template", "lowest"), ENDPOINTS)
def test_each_endpoint_needs_its_role(
    app: Flask, make_user: Any, method: str, template: str, lowest: Role
) -> None:
    assert_each_role(
        app,
        make_user,
        method,
        lambda: _path(app, template),
        lowest,
        signed_in=signed_in,
        text_of=text_of,
    )


def _path(app: Flask, template: str) -> str:
    def trash(row_id: int) -> None:
        row = db.session.get(Customer, row_id)
        profiles.delete_customer(db.session, row, actor_id=None, clock=current_clock())

    return record_path(app, template, make_customer, trash)
