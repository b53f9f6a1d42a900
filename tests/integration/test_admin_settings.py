"""Admins manage custom fields and lifecycle stages; values are validated by kind."""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import CustomFieldDefinition, FieldKind, LifecycleStage, Role
from tests.conftest import csrf_token, login
from web.extensions import db
from workflows.customers import custom_fields, stages
from workflows.platform.clock import ManualClock
from workflows.platform.errors import ValidationFailed


@pytest.fixture
def admin_client(client: FlaskClient, make_user: Any) -> FlaskClient:
    login(client, make_user(Role.ADMIN).email)
    return client


def test_admin_adds_a_choice_field(app: Flask, admin_client: FlaskClient) -> None:
    response = admin_client.post(
        "/admin/custom-fields",
        data={
            "entity": "customer",
            "key": "plan",
            "label": "Plan",
            "kind": "single_choice",
            "choices": "free\npro\npro\nenterprise",
            "is_required": "y",
            "csrf_token": csrf_token(admin_client, "/admin/custom-fields"),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        field = db.session.scalars(select(CustomFieldDefinition)).one()
        assert (field.key, field.kind, field.choices, field.is_required) == (
            "plan",
            FieldKind.SINGLE_CHOICE,
            ["free", "pro", "enterprise"],
            True,
        )


def test_bad_field_definition_shows_messages_at_the_fields(
    app: Flask, admin_client: FlaskClient
) -> None:
    response = admin_client.post(
        "/admin/custom-fields",
        data={
            "entity": "customer",
            "key": "Bad Key!",
            "label": "Tier",
            "kind": "multi_choice",
            "choices": "",
            "csrf_token": csrf_token(admin_client, "/admin/custom-fields"),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="key-error"' in html and "Use lower-case letters" in html
    assert 'id="choices-error"' in html and "at least one choice" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CustomFieldDefinition)) == 0


def test_field_keys_are_unique_per_entity(in_app: Flask) -> None:
    clock = ManualClock()
    custom_fields.define_field(
        db.session, entity="customer", key="seats", label="Seats", kind="number", clock=clock
    )
    custom_fields.define_field(
        db.session, entity="organisation", key="seats", label="Seats", kind="number", clock=clock
    )
    with pytest.raises(ValidationFailed) as caught:
        custom_fields.define_field(
            db.session, entity="customer", key="seats", label="Again", kind="text", clock=clock
        )
    assert caught.value.errors == {"key": ["This key is taken."]}


def test_retired_field_is_no_longer_validated(in_app: Flask) -> None:
    clock = ManualClock()
    field = custom_fields.define_field(
        db.session,
        entity="customer",
        key="seats",
        label="Seats",
        kind="number",
        is_required=True,
        clock=clock,
    )
    assert custom_fields.clean(db.session, "customer", {})[1] == {
        "custom.seats": ["Seats is required."]
    }
    custom_fields.update_field(
        db.session, field, label="Seats", choices=None, is_required=True, is_active=False
    )
    assert custom_fields.clean(db.session, "customer", {})[1] == {}


def test_admin_adds_renames_and_retires_a_stage(app: Flask, admin_client: FlaskClient) -> None:
    token = csrf_token(admin_client, "/admin/stages")
    response = admin_client.post(
        "/admin/stages", data={"key": "trial", "name": "Trial", "csrf_token": token}
    )
    assert response.status_code == 302
    with app.app_context():
        stage = db.session.scalar(select(LifecycleStage).where(LifecycleStage.key == "trial"))
        keys = [s.key for s in stages.all_stages(db.session)]
        stage_id = stage.id
    assert keys == ["lead", "prospect", "customer", "churned", "trial"]
    response = admin_client.post(
        f"/admin/stages/{stage_id}",
        data={"name": "Free trial", "position": "2", "csrf_token": token},
    )
    assert response.status_code == 302
    with app.app_context():
        stage = db.session.get(LifecycleStage, stage_id)
        assert (stage.name, stage.position, stage.is_active) == ("Free trial", 2, False)


def test_duplicate_stage_key_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    response = admin_client.post(
        "/admin/stages",
        data={
            "key": "lead",
            "name": "Lead again",
            "csrf_token": csrf_token(admin_client, "/admin/stages"),
        },
    )
    assert response.status_code == 422
    assert "This key is taken." in response.get_data(as_text=True)
