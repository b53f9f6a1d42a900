"""Calendars, SLA policies and requirement edits over the API: field-named 422s, If-Match,
conflicts, versions, matching order, and "apply to open requirements" (dry run, then a
background recompute by the real worker)."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Role, User
from tests.services import wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts

ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
HOUR = 3600


@pytest.fixture
def api(app: Flask, client: FlaskClient, make_user: Any) -> dict[str, Any]:
    admin = make_user(Role.ADMIN)
    agent = make_user(Role.AGENT)
    with app.app_context():
        clock = current_clock()
        tokens = {
            u.id: accounts.issue_token(
                db.session, db.session.get(User, u.id), "t", clock=clock
            ).secret
            for u in (admin, agent)
        }
        db.session.commit()

    def call(method: str, path: str, user: Any = admin, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[user.id]}", **kw.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    return {"call": call, "admin": admin, "agent": agent}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _calendar(api: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"name": "Always", "time_zone": "UTC", "periods": ALWAYS, **extra}
    return _ok(api["call"]("POST", "/calendars", json=body), 201)


def _policy(api: dict[str, Any], calendar_id: int, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "Standard",
        "calendar_id": calendar_id,
        "targets": {"default": {"resolution": 10 * HOUR}},
        **extra,
    }
    return _ok(api["call"]("POST", "/sla-policies", json=body), 201)


def _requirement(api: dict[str, Any], **extra: Any) -> dict[str, Any]:
    customer = _ok(api["call"]("POST", "/customers", json={"name": "Ana"}), 201)
    body = {"customer_id": customer["id"], "title": "Broken", **extra}
    return _ok(api["call"]("POST", "/requirements", json=body), 201)


def test_calendar_errors_name_each_field_and_agents_may_not_write(api: dict[str, Any]) -> None:
    bad = api["call"](
        "POST",
        "/calendars",
        json={
            "name": "",
            "time_zone": "Nowhere",
            "periods": [{"weekday": 8, "start": "9", "end": "x"}],
        },
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"name", "time_zone", "periods"}
    refused = api["call"](
        "POST",
        "/calendars",
        user=api["agent"],
        json={"name": "x", "time_zone": "UTC", "periods": ALWAYS},
    )
    assert refused.status_code == 403
    assert _ok(api["call"]("GET", "/calendars")) == []


def test_calendar_edit_needs_if_match_and_a_used_calendar_cannot_be_deleted(
    api: dict[str, Any],
) -> None:
    calendar = _calendar(api, quiet_hours=[{"start": "22:00", "end": "07:00"}])
    path = f"/calendars/{calendar['id']}"
    assert api["call"]("PATCH", path, json={"name": "Renamed"}).status_code == 428
    assert (
        api["call"](
            "PATCH", path, json={"name": "Renamed"}, headers={"If-Match": '"99"'}
        ).status_code
        == 412
    )
    edited = _ok(
        api["call"](
            "PATCH",
            path,
            json={"name": "Renamed", "holidays": [{"date": "2026-12-25", "name": "Christmas"}]},
            headers={"If-Match": '"1"'},
        )
    )
    assert edited["name"] == "Renamed" and edited["holidays"][0]["date"] == "2026-12-25"
    imported = _ok(
        api["call"]("POST", f"{path}/holidays/import", json={"country": "DE", "years": [2027]})
    )
    assert imported["added"] >= 9
    bad_country = api["call"](
        "POST", f"{path}/holidays/import", json={"country": "XX", "years": [2027]}
    )
    assert bad_country.status_code == 422 and "country" in bad_country.get_json()["errors"]
    _policy(api, calendar["id"])
    current = _ok(api["call"]("GET", path))["version"]
    in_use = api["call"]("DELETE", path, headers={"If-Match": f'"{current}"'})
    assert in_use.status_code == 409 and "policies" in in_use.get_json()["detail"]


def test_policy_edits_add_versions_and_matching_follows_the_order(api: dict[str, Any]) -> None:
    calendar = _calendar(api)
    standard = _policy(api, calendar["id"])
    urgent = _policy(
        api,
        calendar["id"],
        name="Urgent",
        match={"priorities": ["urgent"]},
        targets={"default": {"resolution": HOUR}},
    )
    bad = api["call"](
        "POST",
        "/sla-policies",
        json={
            "name": "Bad",
            "calendar_id": 0,
            "targets": {},
            "warning_percent": 0,
            "ladder": [{"at": "soon", "recipients": ["everyone"]}],
        },
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"calendar_id", "targets", "warning_percent", "ladder"}

    # Standard (listed first) matches everything, so the urgent one never wins ...
    assert (
        _requirement(api, priority="urgent")["sla_policy_version_id"]
        == standard["current_version_id"]
    )
    _ok(api["call"]("PUT", "/sla-policies/order", json={"ids": [urgent["id"], standard["id"]]}))
    # ... until it is moved in front.
    assert (
        _requirement(api, priority="urgent")["sla_policy_version_id"]
        == urgent["current_version_id"]
    )

    path = f"/sla-policies/{standard['id']}"
    standard = _ok(api["call"]("GET", path))  # reordering changed its version
    stale = api["call"]("PATCH", path, json={"warning_percent": 50}, headers={"If-Match": '"99"'})
    assert stale.status_code == 412
    edited = _ok(
        api["call"](
            "PATCH",
            path,
            json={"warning_percent": 50},
            headers={"If-Match": f'"{standard["version"]}"'},
        )
    )
    assert edited["current_version"] == 2 and edited["warning_percent"] == 50
    versions = _ok(api["call"]("GET", f"{path}/versions"))
    assert [v["number"] for v in versions] == [2, 1]
    assert (
        api["call"]("DELETE", path, headers={"If-Match": f'"{edited["version"]}"'}).status_code
        == 409
    )


def test_apply_to_open_requirements_dry_run_then_background_recompute(
    app: Flask, api: dict[str, Any], worker: Any
) -> None:
    calendar = _calendar(api)
    policy = _policy(api, calendar["id"])
    opened = [_requirement(api) for _ in range(3)]
    old_due = datetime.fromisoformat(opened[0]["sla_due_at"])
    edited = _ok(
        api["call"](
            "PATCH",
            f"/sla-policies/{policy['id']}",
            json={"targets": {"default": {"resolution": 12 * HOUR}}},
            headers={"If-Match": f'"{policy["version"]}"'},
        )
    )
    # Open requirements keep their version until the policy is applied.
    assert (
        _ok(api["call"]("GET", f"/requirements/{opened[0]['id']}"))["sla_policy_version_id"]
        == policy["current_version_id"]
    )

    report = _ok(
        api["call"]("POST", f"/sla-policies/{policy['id']}/apply", json={"dry_run": True})
    )["dry_run"]
    assert (report["requirements"], report["moving"], report["later"]) == (3, 3, 3)
    assert abs(report["largest_shift_seconds"] - 2 * HOUR) < 60
    assert (
        _ok(api["call"]("GET", f"/requirements/{opened[0]['id']}"))["sla_due_at"]
        == opened[0]["sla_due_at"]
    )

    started = _ok(
        api["call"]("POST", f"/sla-policies/{policy['id']}/apply", json={"dry_run": False}), 202
    )
    assert started["recompute"]["total"] == 3
    wait_until(
        lambda: (
            (_ok(api["call"]("GET", f"/sla-policies/{policy['id']}/apply"))["recompute"] or {}).get(
                "status"
            )
            == "finished"
        ),
        timeout=20,
    )
    after = _ok(api["call"]("GET", f"/requirements/{opened[0]['id']}"))
    assert after["sla_policy_version_id"] == edited["current_version_id"]
    assert abs(
        (datetime.fromisoformat(after["sla_due_at"]) - old_due) - timedelta(hours=2)
    ) < timedelta(minutes=1)


def test_apply_can_rematch_onto_a_new_policy_and_refuses_an_unknown_mode(
    api: dict[str, Any],
) -> None:
    calendar = _calendar(api)
    _policy(api, calendar["id"])  # no conditions
    opened = [_requirement(api) for _ in range(2)]
    narrow = _policy(
        api, calendar["id"], name="Normal", match={"priorities": ["normal"]}, position=1
    )
    path = f"/sla-policies/{narrow['id']}/apply"
    report = _ok(api["call"]("POST", path, json={"dry_run": True, "mode": "rematch"}))["dry_run"]
    assert report["requirements"] == 2
    assert _ok(api["call"]("POST", path, json={"dry_run": True}))["dry_run"]["requirements"] == 0
    refused = api["call"]("POST", path, json={"dry_run": True, "mode": "everything"})
    assert refused.status_code == 422
    assert "mode" in refused.get_data(as_text=True)
    # The dry run changed nothing.
    assert {
        _ok(api["call"]("GET", f"/requirements/{r['id']}"))["sla_policy_version_id"] for r in opened
    } == {opened[0]["sla_policy_version_id"]}


def test_requirement_patch_needs_if_match_and_priority_replans_the_clock(
    api: dict[str, Any],
) -> None:
    calendar = _calendar(api)
    _policy(
        api,
        calendar["id"],
        targets={"default": {"resolution": 10 * HOUR}, "urgent": {"resolution": HOUR}},
    )
    created = _requirement(api)
    path = f"/requirements/{created['id']}"
    assert api["call"]("PATCH", path, json={"priority": "urgent"}).status_code == 428
    bad = api["call"](
        "PATCH",
        path,
        json={"priority": "whenever"},
        headers={"If-Match": f'"{created["version"]}"'},
    )
    assert bad.status_code == 422 and "priority" in bad.get_json()["errors"]
    edited = _ok(
        api["call"](
            "PATCH",
            path,
            json={"priority": "urgent", "tags": ["billing"]},
            headers={"If-Match": f'"{created["version"]}"'},
        )
    )
    [resolution] = edited["sla"]
    assert resolution["target_seconds"] == HOUR
    assert resolution["history"][-1]["why"] == "priority changed to urgent"
    assert edited["tags"] == ["billing"]
    again = api["call"](
        "PATCH", path, json={"title": "x"}, headers={"If-Match": f'"{created["version"]}"'}
    )
    assert again.status_code == 412


def test_openapi_documents_the_sla_endpoints(api: dict[str, Any], client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/calendars",
        "/api/v1/sla-policies",
        "/api/v1/sla-policies/{policy_id}/apply",
        "/api/v1/escalations",
        "/api/v1/escalations/{clock_id}/ack",
    ):
        assert path in paths, path
    assert "patch" in paths["/api/v1/requirements/{requirement_id}"]


def test_overlapping_and_touching_periods_are_merged_when_saved(api: dict[str, Any]) -> None:
    periods = [
        {"weekday": 4, "start": "19:31", "end": "19:33"},
        {"weekday": 4, "start": "19:32", "end": "19:33"},
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "12:00", "end": "17:00"},
    ]
    calendar = _calendar(api, periods=periods)
    assert calendar["periods"] == [
        {"weekday": 0, "start": "09:00", "end": "17:00"},
        {"weekday": 4, "start": "19:31", "end": "19:33"},
    ]
