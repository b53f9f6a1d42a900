"""Communications are read with the requirement they are linked to (`visibility.
readable_communications`): an email, a reply or an internal note on team B's requirement, and
its attachments, are hidden from team A's agent and supervisor on the customer and organisation
timelines (page and API), the customer's history, single records (404 like an unknown id, for
reading, editing and deleting alike) and attachment downloads; a supervisor's export leaves them
out (an admin's is complete). Team B's agent and admins see them, and so does everyone with
`REQUIREMENTS_VISIBLE_TO_ALL`. Records linked to no requirement stay visible to all."""

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from models import Customer, Team
from tests.conftest import csrf_token
from tests.integration.teams_world import World, build
from web.extensions import db
from workflows.platform import accounts

EMAIL_SUBJECT = "Contract renewal"
EMAIL_TEXT = "Our lawyers reviewed the renewal"
NOTE_TEXT = "Confidential: the customer threatens to leave"
PLAIN_TEXT = "Visited the shop, all is well"
FILE_NAME = "renewal-terms.pdf"
FILE_BYTES = b"%PDF-1.4 renewal terms"


@dataclass
class Linked:
    """What team B's requirement holds, and a record linked to none."""

    world: World
    email_id: int  # inbound, matched to team B's requirement by its subject number
    note_id: int  # team B's internal note
    attachment_id: int  # the email's file
    plain_id: int  # a note on the customer, no requirement


def _raw_email(requirement_id: int) -> bytes:
    return (
        (
            "From: Ana Lima <ana@example.com>\nTo: support@example.com\n"
            f"Subject: {EMAIL_SUBJECT} [#{requirement_id}]\n"
            'Message-ID: <renewal-1@example.com>\nContent-Type: multipart/mixed; boundary="m"\n\n'
            f"--m\nContent-Type: text/plain\n\n{EMAIL_TEXT}.\n"
            "--m\nContent-Type: application/pdf\n"
            f'Content-Disposition: attachment; filename="{FILE_NAME}"\n\n'
            f"{FILE_BYTES.decode()}\n--m--\n"
        )
        .replace("\n", "\r\n")
        .encode()
    )


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def linked(app: Flask, make_user: Any) -> Linked:
    world = build(app, make_user)
    world.api(  # team B moves first, so the customer's reply belongs on the requirement
        "agent_b",
        "POST",
        f"/requirements/{world.requirement_b}/transitions",
        json={"trigger": "start"},
    )
    delivered = _created(
        world.api(
            "admin",
            "POST",
            "/inbound/email",
            data=_raw_email(world.requirement_b),
            headers={"Content-Type": "message/rfc822"},
        )
    )
    email_id = delivered["communication_id"]
    email = _created(world.api("admin", "GET", f"/communications/{email_id}"))
    assert email["requirement_id"] == world.requirement_b, delivered
    note = _created(
        world.api(
            "agent_b",
            "POST",
            f"/requirements/{world.requirement_b}/notes",
            json={"body": NOTE_TEXT},
        )
    )
    thread = _created(world.api("agent_b", "GET", f"/requirements/{world.requirement_b}/messages"))
    (file,) = [a for message in thread for a in message.get("attachments", [])]
    plain = _created(
        world.api(
            "agent",
            "POST",
            f"/customers/{world.customer_id}/communications",
            json={"channel": "note", "body": PLAIN_TEXT},
        )
    )
    return Linked(world, email_id, note["id"], file["id"], plain["id"])


HIDDEN_FROM = ("agent", "supervisor")  # team A
SHOWN_TO = ("agent_b", "admin")


def _hidden(linked: Linked) -> set[int]:
    return {linked.email_id, linked.note_id}


@pytest.mark.parametrize("who", HIDDEN_FROM + SHOWN_TO)
def test_customer_page_timeline_shows_them_only_to_readers(linked: Linked, who: str) -> None:
    html = (
        linked.world.page(who).get(f"/customers/{linked.world.customer_id}").get_data(as_text=True)
    )
    assert PLAIN_TEXT in html
    sees = who in SHOWN_TO
    for secret in (EMAIL_SUBJECT, EMAIL_TEXT, NOTE_TEXT, FILE_NAME):
        assert (secret in html) is sees, (who, secret)


@pytest.mark.parametrize("who", HIDDEN_FROM + SHOWN_TO)
def test_api_lists_show_them_only_to_readers(linked: Linked, who: str) -> None:
    world = linked.world
    listed = world.api(who, "GET", f"/customers/{world.customer_id}/communications").get_json()
    timeline = world.api(who, "GET", f"/customers/{world.customer_id}/timeline").get_json()
    ids = {c["id"] for c in listed["items"]}
    on_timeline = {i["id"] for i in timeline["items"] if i["kind"] == "communication"}
    for seen in (ids, on_timeline):
        assert linked.plain_id in seen
        assert (_hidden(linked) <= seen) is (who in SHOWN_TO), (who, seen)
        assert not (_hidden(linked) & seen) or who in SHOWN_TO


@pytest.mark.parametrize("who", HIDDEN_FROM + SHOWN_TO)
def test_single_records_and_files_answer_404_to_others(linked: Linked, who: str) -> None:
    world = linked.world
    expected = 200 if who in SHOWN_TO else 404
    for ident in _hidden(linked):
        assert world.api(who, "GET", f"/communications/{ident}").status_code == expected
        assert world.page(who).get(f"/customers/communications/{ident}/edit").status_code == (
            expected
        )
    assert world.api(who, "GET", f"/attachments/{linked.attachment_id}").status_code == expected
    download = world.page(who).get(f"/attachments/{linked.attachment_id}")
    assert download.status_code == expected
    if who in SHOWN_TO:
        assert download.data.startswith(FILE_BYTES)
    assert world.api(who, "GET", f"/communications/{linked.plain_id}").status_code == 200


def test_others_cannot_edit_delete_or_restore_them(linked: Linked) -> None:
    world = linked.world
    note = f"/communications/{linked.note_id}"
    current = world.api("admin", "GET", note)
    etag = {"If-Match": current.headers["ETag"]}
    edit = world.api("agent", "PATCH", note, json={"subject": "mine now"}, headers=etag)
    assert edit.status_code == 404
    assert world.api("supervisor", "DELETE", note, headers=etag).status_code == 404
    page = world.page("supervisor")
    token = csrf_token(page, "/account")
    form = {"csrf_token": token, "version": str(current.get_json()["version"])}
    assert page.post(f"/customers{note}/delete", data=form).status_code == 404
    assert page.post(f"/customers{note}/edit", data={**form, "body": "x"}).status_code == 404
    # Deleted by its team's reader (an admin here), it stays hidden from the restore door too.
    assert world.api("admin", "DELETE", note, headers=etag).status_code == 204
    assert world.api("supervisor", "POST", f"{note}/restore").status_code == 404
    assert page.post(f"/customers{note}/restore", data=form).status_code == 404
    unchanged = world.api("admin", "GET", f"/communications/{linked.email_id}").get_json()
    assert unchanged["subject"].startswith(EMAIL_SUBJECT)


def test_history_leaves_out_their_changes(linked: Linked) -> None:
    world = linked.world
    path = f"/customers/{world.customer_id}/history"
    agent = world.page("agent").get(path).get_data(as_text=True)
    admin = world.page("admin").get(path).get_data(as_text=True)
    assert PLAIN_TEXT in agent and PLAIN_TEXT in admin
    assert NOTE_TEXT in admin and NOTE_TEXT not in agent


def test_history_names_a_hidden_requirement_only_by_its_number(linked: Linked) -> None:
    """A record moved off team B's requirement is readable; its past link is a bare number."""
    world = linked.world
    note = f"/communications/{linked.note_id}"
    etag = {"If-Match": world.api("admin", "GET", note).headers["ETag"]}
    body = {"requirement_id": world.requirement_free}
    moved = world.api("admin", "PATCH", note, json=body, headers=etag)
    assert moved.status_code == 200, moved.get_json()
    path = f"/customers/{world.customer_id}/history"
    agent = world.page("agent").get(path).get_data(as_text=True)
    admin = world.page("admin").get(path).get_data(as_text=True)
    assert NOTE_TEXT in agent and f"#{world.requirement_b}" in agent
    assert "Need of Team B" in admin and "Need of Team B" not in agent


def test_organisation_timeline_hides_them_too(linked: Linked) -> None:
    world = linked.world
    organisation = _created(world.api("admin", "POST", "/organisations", json={"name": "Acme"}))
    with world.app.app_context():
        customer = db.session.get(Customer, world.customer_id)
        customer.organisation_id = organisation["id"]
        db.session.commit()
    seen = {}
    for who in ("agent", "agent_b"):
        items = world.api(who, "GET", f"/organisations/{organisation['id']}/timeline").get_json()
        seen[who] = {i["id"] for i in items["items"] if i["kind"] == "communication"}
        page = world.page(who).get(f"/organisations/{organisation['id']}").get_data(as_text=True)
        assert (NOTE_TEXT in page) is (who == "agent_b")
    assert linked.plain_id in seen["agent"] and not _hidden(linked) & seen["agent"]
    assert _hidden(linked) <= seen["agent_b"]


def test_everyone_sees_them_when_requirements_are_visible_to_all(
    linked: Linked, make_app: Any
) -> None:
    world = linked.world
    shop = make_app(REQUIREMENTS_VISIBLE_TO_ALL=True).test_client()
    headers = {"Authorization": f"Bearer {world.tokens['agent']}"}
    listed = shop.get(f"/api/v1/customers/{world.customer_id}/communications", headers=headers)
    assert _hidden(linked) <= {c["id"] for c in listed.get_json()["items"]}
    for ident in _hidden(linked):
        assert shop.get(f"/api/v1/communications/{ident}", headers=headers).status_code == 200
    file = shop.get(f"/api/v1/attachments/{linked.attachment_id}", headers=headers)
    assert file.status_code == 200


def _export(linked: Linked, who: str) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    response = linked.world.api(who, "GET", f"/customers/{linked.world.customer_id}/export")
    assert response.status_code == 200, response.get_data(as_text=True)
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))
    sections = {
        name: json.loads(archive.read(entry["file"]))
        for name, entry in manifest["sections"].items()
    }
    sections["files"] = [n for n in archive.namelist() if n.startswith("attachments/")]
    return manifest, sections


def test_a_supervisors_export_leaves_out_other_teams_requirements(linked: Linked) -> None:
    world = linked.world
    manifest, sections = _export(linked, "supervisor")
    assert manifest["complete"] is False
    requirements = {r["id"] for r in sections["requirements"]}
    assert requirements == {world.requirement_a, world.requirement_free}
    communications = {c["id"] for c in sections["communications"]}
    assert linked.plain_id in communications and not _hidden(linked) & communications
    assert sections["attachments"] == [] and sections["files"] == []
    audited = {e["entity_id"] for e in sections["audit_log"] if e["entity_type"] == "communication"}
    assert linked.plain_id in audited and not _hidden(linked) & audited
    everything = json.dumps(sections)
    for secret in (EMAIL_TEXT, NOTE_TEXT, FILE_NAME, "Need of Team B"):
        assert secret not in everything


def test_an_admins_export_is_complete(linked: Linked) -> None:
    world = linked.world
    manifest, sections = _export(linked, "admin")
    assert manifest["complete"] is True
    assert world.requirement_b in {r["id"] for r in sections["requirements"]}
    assert _hidden(linked) <= {c["id"] for c in sections["communications"]}
    assert [a["id"] for a in sections["attachments"]] == [linked.attachment_id]
    assert len(sections["files"]) == 1


def test_the_export_page_says_whose_export_is_partial(linked: Linked) -> None:
    world = linked.world
    path = f"/customers/{world.customer_id}/erase"
    supervisor = world.page("supervisor").get(path).get_data(as_text=True)
    admin = world.page("admin").get(path).get_data(as_text=True)
    assert 'id="export-scope"' in supervisor and 'id="export-scope"' not in admin


def test_a_new_team_member_sees_them(linked: Linked) -> None:
    """The policy follows the requirement, not a copy on the record: joining team B is enough."""
    world = linked.world
    with world.app.app_context():
        team_b = db.session.get(Team, world.team_b)
        accounts.set_team_members(
            db.session, team_b, [world.users["agent_b"].id, world.users["agent"].id], []
        )
        db.session.commit()
    assert world.api("agent", "GET", f"/communications/{linked.note_id}").status_code == 200


def _suggest(world: World, who: str, q: str) -> dict[str, list[dict[str, Any]]]:
    response = world.page(who).get("/search/suggest", query_string={"q": q})
    assert response.status_code == 200
    return {g["kind"]: g["hits"] for g in response.get_json()["groups"]}


def test_customer_search_does_not_find_them_by_a_hidden_notes_words(linked: Linked) -> None:
    """The words of team B's note are searched in its requirement's document, under the read
    policy; the customer's document holds only records on no requirement."""
    world = linked.world
    customer_url = f"/customers/{world.customer_id}"
    requirement_url = f"/requirements/{world.requirement_b}"
    for who in HIDDEN_FROM:
        groups = _suggest(world, who, "threatens")
        assert groups["customers"] == [] and groups["requirements"] == [], (who, groups)
        listed = world.api(who, "GET", "/customers", query_string={"q": "threatens"}).get_json()
        assert listed["items"] == [] and "threatens" not in json.dumps(listed)
    for who in SHOWN_TO:
        groups = _suggest(world, who, "threatens")
        assert [h["url"] for h in groups["requirements"]] == [requirement_url], (who, groups)
    plain = _suggest(world, "agent", "shop")  # a record on no requirement finds its customer
    assert [h["url"] for h in plain["customers"]] == [customer_url]
