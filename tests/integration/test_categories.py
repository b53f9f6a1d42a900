"""Requirement categories from an admin-managed list: the admin page, the API, and a
requirement's category refused unless it is on the list."""

from typing import Any

import pytest
from flask import Flask

from tests.conftest import csrf_token
from tests.integration.teams_world import World, build


@pytest.fixture
def world(app: Flask, make_user: Any) -> World:
    return build(app, make_user)


def test_admins_keep_the_list_on_a_page(world: World) -> None:
    admin = world.page("admin")

    def add(name: str) -> Any:
        token = csrf_token(admin, "/admin/categories")
        return admin.post("/admin/categories", data={"name": name, "csrf_token": token})

    assert add("  Billing  ").status_code == 302
    duplicate = add("billing")
    assert duplicate.status_code == 422
    assert "already on the list" in duplicate.get_data(as_text=True)
    assert add(" ").status_code == 422
    page = admin.get("/admin/categories").get_data(as_text=True)
    assert "<td>Billing</td>" in page
    assert world.page("agent").get("/admin/categories").status_code == 403


def test_the_api_lists_for_everyone_and_changes_for_admins(world: World) -> None:
    assert world.api("agent", "POST", "/categories", json={"name": "x"}).status_code == 403
    created = world.api("admin", "POST", "/categories", json={"name": "Delivery"})
    assert created.status_code == 201
    listed = world.api("agent", "GET", "/categories").get_json()
    assert [c["name"] for c in listed] == ["Delivery"]
    again = world.api("admin", "POST", "/categories", json={"name": "delivery"})
    assert again.status_code == 422 and "name" in again.get_json()["errors"]
    path = f"/categories/{created.get_json()['id']}"
    assert world.api("agent", "DELETE", path).status_code == 403
    assert world.api("admin", "DELETE", path).status_code == 204
    assert world.api("agent", "GET", "/categories").get_json() == []


def test_a_requirement_s_category_must_be_on_the_list(world: World) -> None:
    world.api("admin", "POST", "/categories", json={"name": "Billing"})
    body = {"customer_id": world.customer_id, "title": "Invoice", "category": "Bling"}
    refused = world.api("agent", "POST", "/requirements", json=body)
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["category"] == ["Choose one of: Billing."]
    created = world.api("agent", "POST", "/requirements", json={**body, "category": "Billing"})
    assert created.status_code == 201 and created.get_json()["category"] == "Billing"
    path = f"/requirements/{created.get_json()['id']}"
    tag = created.headers["ETag"]
    patched = world.api(
        "agent", "PATCH", path, json={"category": "Bling"}, headers={"If-Match": tag}
    )
    assert patched.status_code == 422 and "category" in patched.get_json()["errors"]
    form = world.page("agent").get(f"/customers/{world.customer_id}/requirements/new")
    assert '<option value="Billing">Billing</option>' in form.get_data(as_text=True)
