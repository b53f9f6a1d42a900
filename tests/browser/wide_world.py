"""Realistic, *wide* data for the page-by-page browser tests: the demo data set (teams, people,
customers, six weeks of requirements with SLA clocks, breaches, a strategy run, reports with
figures) plus one of everything with the longest values people really type — names, emails and
URLs without spaces, long requirement titles, message bodies with code — so a page that only
fits short values shows it. Built once per test through the API, as an admin."""

from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select

from models import Enrolment, LifecycleStage, Requirement, SlaClock, Strategy, User
from tests.integration.teams_world import World, build
from web import demo
from web.auth.invitation import settings as invitation_settings
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import imports, profiles
from workflows.outreach import links
from workflows.platform import accounts, invitations
from workflows.privacy import erasure
from workflows.tracking import notifications

LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung"
LONG_NAME = f"Maximiliane-Alexandra Wolkenstein-Oberhausen {LONG_WORD}"
LONG_EMAIL = (
    "maximiliane.alexandra.wolkenstein-oberhausen@subsidiary.very-long-company-name.example.com"
)
LONG_URL = (
    "https://support.very-long-company-name.example.com/knowledge-base/articles/"
    "how-to-reset-the-two-factor-authentication-token-on-a-lost-device"
    "?utm_source=newsletter&utm_medium=email&utm_campaign=winter_2026_reactivation_campaign"
)
LONG_TITLE = (
    f"Invoice INV-2026-000123456789 charged twice to {LONG_WORD}; "
    "the refund promised on the phone has still not arrived after three weeks"
)
CODE = "Traceback: File /srv/app/billing/invoices/generate_pdf_from_template_with_fonts.py:1234"
BODY = f"Please see {LONG_URL} — our accountant wrote from {LONG_EMAIL}.\n\n{CODE}\n\n{LONG_WORD}"


@dataclass
class WideWorld:
    world: World
    ids: dict[str, Any]


def build_wide(app: Flask, make_user: Any) -> WideWorld:
    world = build(app, make_user)
    with app.app_context():
        clock = current_clock()
        demo.load(db.session, clock=clock, history_days=7)
        db.session.commit()

    def made(path: str, body: dict[str, Any], method: str = "POST") -> int:
        response = world.api("admin", method, path, json=body)
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()["id"]

    organisation_id = made(
        "/organisations",
        {"name": f"{LONG_WORD} GmbH & Co. KG", "website": LONG_URL, "phone": "+49 30 1234567"},
    )
    field_id = made(
        "/custom-fields",
        {"entity": "customer", "key": "contract", "label": f"Contract {LONG_WORD}", "kind": "text"},
    )
    customer_id = made(
        "/customers",
        {
            "name": LONG_NAME,
            "emails": [LONG_EMAIL, "second." + LONG_EMAIL],
            "phones": ["+49 151 23456789"],
            "organisation_id": organisation_id,
            "owner_id": world.users["agent"].id,
            "tags": [LONG_WORD.lower()[:60], "vip"],
            "city": LONG_WORD,
            "notes": BODY,
            "custom": {"contract": LONG_URL},
        },
    )
    communication_id = made(
        f"/customers/{customer_id}/communications",
        {"channel": "email", "direction": "inbound", "subject": LONG_TITLE, "body": BODY},
    )
    made(
        f"/customers/{customer_id}/transactions",
        {"kind": "order", "amount": "123456789.99", "currency": "EUR", "reference": LONG_WORD},
    )
    requirement_id = made(
        "/requirements",
        {
            "customer_id": customer_id,
            "title": LONG_TITLE,
            "description": BODY,
            "team_id": world.team_a,
            "assignee_id": world.users["agent"].id,
        },
    )
    for kind in ("replies", "notes"):  # the conversation: an email sent and an internal note
        said = world.api(
            "admin", "POST", f"/requirements/{requirement_id}/{kind}", json={"body": BODY}
        )
        assert said.status_code in (200, 201, 202), said.get_json()
    ids: dict[str, Any] = {
        "customer_id": customer_id,
        "organisation_id": organisation_id,
        "communication_id": communication_id,
        "requirement_id": requirement_id,
        "field_id": field_id,
        "team_id": world.team_a,
        "user_id": world.users["agent"].id,
        "segment_id": made("/segments", {"name": f"Segment {LONG_WORD}", "definition": {}}),
        "canned_id": made("/canned-responses", {"name": f"Refund {LONG_WORD}", "body": BODY}),
        "calendar_id": made(
            "/calendars",
            {
                "name": f"Calendar {LONG_WORD}",
                "time_zone": "America/Argentina/ComodRivadavia",
                "periods": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
            },
        ),
    }
    made("/categories", {"name": f"Billing {LONG_WORD}"})
    made("/saved-views", {"name": f"View {LONG_WORD}", "queue": "mine", "filters": {}})
    ids["policy_id"] = world.api("admin", "GET", "/sla-policies").get_json()[0]["id"]
    with app.app_context():
        clock = current_clock()
        admin = db.session.get(User, world.users["admin"].id)
        admin.name = LONG_NAME  # the header shows it
        accounts.create_team(db.session, f"Team {LONG_WORD}", clock=clock)
        ids["stage_id"] = db.session.scalars(select(LifecycleStage.id)).first()
        strategy = db.session.scalars(select(Strategy)).first()
        ids["strategy_id"] = strategy.id
        ids["enrolment_id"] = db.session.scalars(
            select(Enrolment.id).where(Enrolment.strategy_id == strategy.id)
        ).first()
        ids["clock_id"] = db.session.scalars(
            select(SlaClock.id).where(SlaClock.requirement_id == requirement_id)
        ).first()
        requirement = db.session.get(Requirement, requirement_id)
        notifications.notify(db.session, "mentioned", [admin], requirement, clock=clock)
        invited = accounts.create_user(
            db.session,
            email=LONG_EMAIL,
            name=LONG_NAME,
            password="a long enough password 1",
            role="agent",
            time_zone="UTC",
            clock=clock,
        )
        db.session.flush()
        ids["invitation_token"] = invitations.token_for(invitation_settings(), invited, clock=clock)
        base_url = app.config["BASE_URL"]
        ids["unsubscribe_token"] = links.token_for(
            links.LinkSettings(app.config["SECRET_KEY"], base_url), customer_id
        )
        ids["job_id"] = imports.create_job(
            db.session,
            filename=f"{LONG_WORD}.csv",
            content=f"name,email,notes\n{LONG_NAME},{LONG_EMAIL},{LONG_URL}\n",
            created_by_id=admin.id,
            clock=clock,
        ).id
        doomed = profiles.create_customer(
            db.session, {"name": f"Erased {LONG_WORD}"}, actor_id=None, clock=clock
        )
        db.session.flush()
        ids["erasure_job_id"] = erasure.request_erasure(
            db.session, doomed, actor_id=admin.id, clock=clock
        ).id
        ids["other_customer_id"] = world.customer_id
        ids["trashed_customer_id"] = world.trashed_customer_id
        db.session.commit()
    return WideWorld(world=world, ids=ids)
