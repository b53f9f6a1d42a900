"""The requirement pages through HTTP on the real database: the queues (roles, sorting, filters,
pages, empty states, countdowns, bulk actions with partial refusal), the requirement page
(allowed buttons only, 409 naming what is allowed, guards at their field, stale edits, timeline
and SLA timeline), the new-requirement form, the workflow diagrams and the escalation queue.

The app's clock is a ManualClock in 2099 for each test, so timers planned here never fall due
for the session's clock process."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    Communication,
    CommunicationChannel,
    Direction,
    Metric,
    Requirement,
    Role,
    SlaClock,
    User,
)
from tests.conftest import csrf_token
from tests.integration.test_customer_pages import (
    field_error,
    form_values,
    signed_in,
    text_of,
)
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import accounts
from workflows.platform.clock import ManualClock
from workflows.tracking import calendars, categories, requirements, sla_policies, timers

START = datetime(2099, 1, 5, 9, tzinfo=UTC)  # a Monday
ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]


# ---------------------------------------------------------------- the world


class World:
    """Users, a team, a customer and a ManualClock the app also reads."""

    def __init__(self, app: Flask, clock: ManualClock, users: dict[str, User]) -> None:
        self.app = app
        self.clock = clock
        self.users = users
        with app.app_context():
            team = accounts.create_team(db.session, "Support", clock=clock)
            accounts.set_team_members(
                db.session,
                team,
                [users["agent"].id, users["colleague"].id],
                [users["lead"].id],
            )
            self.other_team = accounts.create_team(db.session, "Sales", clock=clock).id
            accounts.set_team_members(
                db.session, db.session.get(type(team), self.other_team), [users["outsider"].id], []
            )
            customer = profiles.create_customer(
                db.session, {"name": "Ana Lima"}, actor_id=None, clock=clock
            )
            db.session.commit()
            self.team = team.id
            self.customer = customer.id

    def client(self, who: str) -> FlaskClient:
        return signed_in(self.app, self.users[who])

    def open(self, title: str = "Printer on fire", *, by: str = "agent", **kw: Any) -> int:
        kw.setdefault("team_id", self.team)
        with self.app.app_context():
            req = requirements.open_requirement(
                db.session,
                customer_id=self.customer,
                title=title,
                clock=self.clock,
                actor=db.session.get(User, self.users[by].id),
                **kw,
            )
            db.session.commit()
            return req.id

    def fire(self, requirement_id: int, *triggers: str, by: str = "agent", **kw: Any) -> None:
        with self.app.app_context():
            req = db.session.get(Requirement, requirement_id)
            actor = db.session.get(User, self.users[by].id)
            for trigger in triggers:
                requirements.fire(db.session, req, trigger, actor=actor, clock=self.clock, **kw)
            db.session.commit()

    def get(self, requirement_id: int) -> Requirement:
        with self.app.app_context():
            req = db.session.get(Requirement, requirement_id)
            db.session.expunge(req)
            return req

    def policy(self, targets: dict[str, dict[str, int]], **settings: Any) -> None:
        with self.app.app_context():
            calendar = calendars.create(
                db.session,
                {"name": "24/7", "time_zone": "UTC", "periods": ALWAYS},
                clock=self.clock,
            )
            sla_policies.create(
                db.session,
                {"name": "Support SLA", "calendar_id": calendar.id, "targets": targets, **settings},
                actor=None,
                clock=self.clock,
            )
            db.session.commit()

    def run_due_timers(self) -> None:
        """What the clock process and a worker do, in-process, at the ManualClock's time."""
        with self.app.app_context():
            ids = timers.claim_due(db.session, clock=self.clock)
            db.session.commit()
            timers.fire_batch(db.session, ids, clock=self.clock)
            db.session.commit()


@pytest.fixture
def world(app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    clock = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", clock)
    users = {
        "agent": make_user(Role.AGENT, name="Alma Agent", time_zone="Asia/Tokyo"),
        "colleague": make_user(Role.AGENT, name="Carl Colleague"),
        "outsider": make_user(Role.AGENT, name="Otto Outsider"),
        "lead": make_user(Role.SUPERVISOR, name="Lena Lead"),
        "admin": make_user(Role.ADMIN, name="Ada Admin"),
    }
    return World(app, clock, users)


def post(client: FlaskClient, path: str, values: dict[str, Any], page: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, page), **values})


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]


def buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="trigger" value="([a-z_]+)"', html)


# ---------------------------------------------------------------- queues


def test_queues_need_sign_in_and_all_open_needs_a_supervisor(world: World, client: Any) -> None:
    assert client.get("/requirements").status_code == 302
    agent = world.client("agent")
    assert agent.get("/requirements").status_code == 200
    assert agent.get("/requirements?queue=team").status_code == 200
    assert agent.get("/requirements?queue=all").status_code == 403
    assert agent.get("/requirements?queue=nonsense").status_code == 404
    assert world.client("lead").get("/requirements?queue=all").status_code == 200


def test_my_queue_sorts_by_nearest_due_time_none_last_then_oldest(world: World) -> None:
    world.policy(
        {
            "urgent": {"resolution": 600},
            "high": {"resolution": 3600},
            "normal": {"resolution": 7200},
        }
    )
    me = world.users["agent"].id
    low = world.open("No SLA", priority="low", assignee_id=me)
    world.clock.advance(timedelta(minutes=1))
    normal = world.open("Normal", priority="normal", assignee_id=me)
    urgent = world.open("Urgent", priority="urgent", assignee_id=me)
    high = world.open("High", priority="high", assignee_id=me)
    low_later = world.open("No SLA either", priority="low", assignee_id=me)
    world.open("Someone else's", priority="urgent", assignee_id=world.users["colleague"].id)
    done = world.open("Done", priority="urgent", assignee_id=me)
    world.fire(done, "assign", "resolve", note="Fixed")

    html = text_of(world.client("agent").get("/requirements"))

    assert row_ids(html) == [urgent, high, normal, low, low_later]


def test_team_queue_puts_unassigned_work_first_and_covers_only_my_teams(world: World) -> None:
    mine = world.open("Mine", assignee_id=world.users["agent"].id)
    world.clock.advance(timedelta(minutes=1))
    unassigned = world.open("Nobody's")
    world.open("Other team", team_id=world.other_team)

    agent = world.client("agent")

    assert row_ids(text_of(agent.get("/requirements?queue=team"))) == [unassigned, mine]
    assert row_ids(text_of(agent.get("/requirements?queue=team&assignee=none"))) == [unassigned]


def test_filters_narrow_the_queue_and_keep_their_values(world: World) -> None:
    me = world.users["agent"].id
    printer = world.open("Printer on fire", assignee_id=me, priority="high")
    world.open("Invoice question", assignee_id=me)
    lead = world.open("Big deal", assignee_id=me, workflow="sales")
    world.fire(printer, "assign", "start")
    agent = world.client("agent")

    def ids(query: str) -> list[int]:
        return row_ids(text_of(agent.get(f"/requirements?queue=mine&{query}")))

    assert ids("q=PRINTER") == [printer]
    assert ids("state=in_progress") == [printer]
    assert ids("priority=high") == [printer]
    assert ids("workflow=sales") == [lead]
    assert ids("q=nothing+like+this") == []
    html = text_of(agent.get("/requirements?queue=mine&priority=high&q=printer"))
    values = form_values(html)
    assert values["q"] == "printer" and values["priority"] == "high"
    team_html = text_of(agent.get("/requirements?queue=team&assignee=none"))
    assert row_ids(team_html) == []


def test_pages_of_25_with_next_and_previous(world: World) -> None:
    me = world.users["agent"].id
    opened = []
    for n in range(27):
        opened.append(world.open(f"Request {n}", assignee_id=me))
        world.clock.advance(timedelta(seconds=1))
    agent = world.client("agent")

    first = text_of(agent.get("/requirements"))
    second = text_of(agent.get("/requirements?page=2"))

    assert row_ids(first) == opened[:25]
    assert 'id="next-page"' in first and 'id="previous-page"' not in first
    assert row_ids(second) == opened[25:]
    assert 'id="next-page"' not in second and 'id="previous-page"' in second


def test_empty_states_say_what_to_do(world: World) -> None:
    agent = world.client("agent")
    assert "Nothing assigned to you is open" in text_of(agent.get("/requirements"))
    assert "Your teams have no open requirements" in text_of(agent.get("/requirements?queue=team"))
    filtered = text_of(agent.get("/requirements?q=zzz"))
    assert "Nothing here matches these filters" in filtered
    loner = world.app.test_client()
    user = world.users["admin"]  # in no team
    loner = signed_in(world.app, user)
    assert "You are in no team yet" in text_of(loner.get("/requirements?queue=team"))


def test_each_running_clock_counts_down_turns_at_risk_then_breached(world: World) -> None:
    world.policy({"default": {"first_response": 600, "resolution": 3600}}, warning_percent=50)
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    agent = world.client("agent")

    html = text_of(agent.get("/requirements"))
    assert "First response" in html and "due in 10 min" in html
    assert "Resolution" in html and "due in 1 h" in html
    # The due instant, for the browser to tick from, and shown in the viewer's zone (Tokyo).
    assert 'data-due="2099-01-05T09:10:00+00:00"' in html
    assert "2099-01-05 18:10 JST" in html

    world.clock.advance(timedelta(minutes=6))
    assert "at risk: due in 4 min" in text_of(agent.get("/requirements"))

    world.clock.advance(timedelta(minutes=7))
    world.run_due_timers()
    html = text_of(agent.get("/requirements"))
    assert re.search(r'class="countdown breached"[^>]*>.*?breached 3 min ago', html, re.S)
    assert row_ids(html) == [req]


# ---------------------------------------------------------------- bulk actions


def test_bulk_resolve_does_what_it_can_and_names_each_refusal(world: World) -> None:
    me = world.users["agent"].id
    first = world.open("First", assignee_id=me)
    second = world.open("Second", assignee_id=me)
    fresh = world.open("Still new", assignee_id=me)  # "new" cannot be resolved
    theirs = world.open("Theirs", assignee_id=world.users["colleague"].id)
    for req in (first, second):
        world.fire(req, "assign", "start")
    world.fire(theirs, "assign", "start", by="colleague")
    agent = world.client("agent")

    response = post(
        agent,
        "/requirements/bulk",
        {
            "ids": [str(first), str(fresh), str(second), str(theirs)],
            "action": "fire",
            "trigger": "resolve",
            "note": "Fixed in the March release",
            "next": "/requirements?queue=mine",
        },
        "/requirements",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/requirements?queue=mine"
    html = text_of(agent.get(response.headers["Location"]))
    assert f"Resolve: done for #{first}, #{second}." in html
    assert f"#{fresh} refused: “Resolve” is not possible from “new”." in html
    assert "Allowed now: Assign, Cancel, Merge." in html
    assert f"#{theirs} refused: Only the assignee" in html
    assert world.get(first).state == "resolved"
    assert world.get(second).resolution_note == "Fixed in the March release"
    assert world.get(fresh).state == "new"
    assert world.get(theirs).state == "in_progress"


def test_bulk_resolve_without_a_note_is_refused_per_row(world: World) -> None:
    req = world.open("First", assignee_id=world.users["agent"].id)
    world.fire(req, "assign")
    agent = world.client("agent")
    response = post(
        agent,
        "/requirements/bulk",
        {"ids": [str(req)], "action": "fire", "trigger": "resolve", "note": ""},
        "/requirements",
    )
    html = text_of(agent.get(response.headers["Location"]))
    assert f"#{req} refused: Resolving needs a resolution note." in html
    assert world.get(req).state == "open"


def test_bulk_assign_to_me_takes_unassigned_work_and_leaves_others_alone(world: World) -> None:
    free = world.open("Nobody's")
    taken = world.open("Carl's", assignee_id=world.users["colleague"].id)
    agent = world.client("agent")

    response = post(
        agent,
        "/requirements/bulk",
        {"ids": [str(free), str(taken)], "action": "assign_to_me"},
        "/requirements",
    )

    html = text_of(agent.get(response.headers["Location"]))
    assert f"Assigned to you: #{free}." in html
    assert f"#{taken} refused: Only the assignee" in html
    claimed = world.get(free)
    assert claimed.assignee_id == world.users["agent"].id and claimed.state == "open"
    assert world.get(taken).assignee_id == world.users["colleague"].id


def test_bulk_action_returns_only_to_a_local_page(world: World) -> None:
    req = world.open("Mine", assignee_id=world.users["agent"].id)
    response = post(
        world.client("agent"),
        "/requirements/bulk",
        {"ids": [str(req)], "action": "assign_to_me", "next": "https://evil.example.com/"},
        "/requirements",
    )
    assert response.headers["Location"] == "/requirements"


# ---------------------------------------------------------------- the requirement page


def test_page_offers_exactly_the_triggers_allowed_now(world: World) -> None:
    fresh = world.open("Unassigned")
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    world.fire(req, "assign", "start")
    agent = world.client("agent")

    assert buttons(text_of(agent.get(f"/requirements/{fresh}"))) == ["assign", "cancel", "merge"]
    in_progress = ["ask_customer", "resolve", "cancel", "merge"]
    assert buttons(text_of(agent.get(f"/requirements/{req}"))) == in_progress
    colleague = text_of(world.client("colleague").get(f"/requirements/{req}"))
    assert buttons(colleague) == []  # reads the team's work, but it is assigned to someone else
    assert "Only the assignee (Alma Agent)" in colleague
    assert world.client("outsider").get(f"/requirements/{req}").status_code == 404  # other team
    lead = text_of(world.client("lead").get(f"/requirements/{req}"))  # the team's supervisor
    assert buttons(lead) == in_progress


def test_a_trigger_not_allowed_now_is_409_naming_the_allowed_ones(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    agent = world.client("agent")
    response = post(
        agent, f"/requirements/{req}/transitions", {"trigger": "close"}, f"/requirements/{req}"
    )
    html = text_of(response)
    assert response.status_code == 409
    assert "“Close” is not possible from “new”" in html
    assert re.findall(r"<li>([^<]+)</li>", html.split('id="allowed"')[1])[:3] == [
        "Assign",
        "Cancel",
        "Merge",
    ]
    assert world.get(req).state == "new"


def test_someone_who_may_not_act_gets_403(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    colleague = world.client("colleague")
    response = post(
        colleague, f"/requirements/{req}/transitions", {"trigger": "assign"}, f"/requirements/{req}"
    )
    assert response.status_code == 403
    assert world.get(req).state == "new"


def test_resolve_without_a_note_is_422_at_the_note_then_resolves_with_one(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    world.fire(req, "assign", "start")
    agent = world.client("agent")
    page = f"/requirements/{req}"

    refused = post(agent, f"{page}/transitions", {"trigger": "resolve", "note": "  "}, page)
    assert refused.status_code == 422
    assert field_error(text_of(refused), "transition-note") == "Resolving needs a resolution note."

    done = post(agent, f"{page}/transitions", {"trigger": "resolve", "note": "New fuser"}, page)
    assert done.status_code == 303
    html = text_of(agent.get(page))
    assert "Resolve: in progress → resolved." in html
    assert buttons(html) == ["reopen", "close"]
    assert world.get(req).resolution_note == "New fuser"


def test_merge_needs_an_existing_target(world: World) -> None:
    req = world.open("Duplicate", assignee_id=world.users["agent"].id)
    target = world.open("Original", assignee_id=world.users["agent"].id)
    agent = world.client("agent")
    page = f"/requirements/{req}"

    missing = post(agent, f"{page}/transitions", {"trigger": "merge", "merge_into_id": "999"}, page)
    assert missing.status_code == 422
    assert field_error(text_of(missing), "transition-merge") == "There is no requirement #999."
    assert form_values(text_of(missing))["merge_into_id"] == "999"

    asked = post(
        agent, f"{page}/transitions", {"trigger": "merge", "merge_into_id": f"#{target}"}, page
    )
    assert asked.status_code == 200  # merging cannot be undone: it asks first, naming the target
    assert f"It will point to #{target} “Original”." in text_of(asked)
    assert world.get(req).state == "new"
    merged = post(
        agent,
        f"{page}/transitions",
        {"trigger": "merge", "merge_into_id": f"#{target}", "confirmed": "yes"},
        page,
    )
    assert merged.status_code == 303
    assert world.get(req).merged_into_id == target
    assert f'href="/requirements/{target}"' in text_of(agent.get(page))


def test_assign_button_sets_the_chosen_assignee_first(world: World) -> None:
    req = world.open("Printer on fire")
    lead = world.client("lead")
    page = f"/requirements/{req}"
    response = post(
        lead,
        f"{page}/transitions",
        {"trigger": "assign", "assignee_id": str(world.users["colleague"].id)},
        page,
    )
    assert response.status_code == 303
    after = world.get(req)
    assert after.state == "open" and after.assignee_id == world.users["colleague"].id


def test_stale_assignment_edit_is_409_with_both_versions_and_mine_kept(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    agent = world.client("agent")
    page = f"/requirements/{req}"
    loaded = form_values(text_of(agent.get(page)))
    world.fire(req, "assign")  # someone moves it on meanwhile: the version changes

    response = agent.post(
        f"{page}/assignment",
        data={
            "csrf_token": loaded["csrf_token"],
            "version": loaded["version"],
            "assignee_id": str(world.users["agent"].id),
            "team_id": str(world.team),
            "priority": "urgent",
        },
    )

    html = text_of(response)
    assert response.status_code == 409
    assert "Not saved: someone else changed this requirement first" in html
    priority_row = re.search(r"<th scope=\"row\">Priority</th>(.*?)</tr>", html, re.S).group(1)
    assert 'class="theirs">normal<' in priority_row and 'class="yours">urgent<' in priority_row
    kept = form_values(html)
    assert kept["priority"] == "urgent"
    assert kept["version"] == str(world.get(req).version)
    assert world.get(req).priority.value == "normal"

    again = agent.post(f"{page}/assignment", data={**kept, "csrf_token": loaded["csrf_token"]})
    assert again.status_code == 303
    assert world.get(req).priority.value == "urgent"
    assert "Priority: normal → urgent" in text_of(agent.get(page))  # on the timeline


def test_assignment_form_refuses_an_unknown_user_at_its_field(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    agent = world.client("agent")
    page = f"/requirements/{req}"
    loaded = form_values(text_of(agent.get(page)))
    response = agent.post(
        f"{page}/assignment", data={**loaded, "assignee_id": "99999", "priority": "high"}
    )
    assert response.status_code == 422
    assert field_error(text_of(response), "assignee_id") == "No such active user."
    assert form_values(text_of(response))["priority"] == "high"


def test_timeline_shows_who_from_to_when_in_the_viewers_zone_and_the_note(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    world.clock.advance(timedelta(minutes=30))
    world.fire(req, "assign", by="lead")
    world.fire(req, "start", "ask_customer", note="Which model is it?")
    with world.app.app_context():
        db.session.add(
            Communication(
                customer_id=world.customer,
                channel=CommunicationChannel.EMAIL,
                direction=Direction.OUTBOUND,
                occurred_at=START,
                subject="About your printer",
                body_html="<p>Which model?</p>",
                requirement_id=req,
                created_at=START,
                updated_at=START,
            )
        )
        db.session.commit()

    html = text_of(world.client("agent").get(f"/requirements/{req}"))

    timeline = html.split('id="timeline"')[1].split("</section>")[0]
    assert "Opened" in timeline and "Alma Agent" in timeline
    assert "2099-01-05 18:30:00 JST" in timeline  # 09:30 UTC in Tokyo
    assert "Lena Lead" in timeline and "Assign</strong>: new → open" in timeline
    assert "Ask the customer</strong>: in progress → waiting on customer" in timeline
    assert "Which model is it?" in timeline
    assert "About your printer" in html.split('id="communications"')[1]
    assert f'href="/customers/{world.customer}"' in html


def test_sla_timeline_explains_start_pause_resume_breach_and_meeting(world: World) -> None:
    world.policy({"default": {"first_response": 600, "resolution": 3600}})
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    world.fire(req, "assign", "start")
    world.clock.advance(timedelta(minutes=5))
    world.fire(req, "ask_customer")
    world.clock.advance(timedelta(hours=2))
    world.fire(req, "customer_replied", by="agent")
    world.clock.advance(timedelta(hours=1))
    world.run_due_timers()

    html = text_of(world.client("agent").get(f"/requirements/{req}"))

    sla = html.split('id="sla"')[1].split("</section>")[0]
    assert "Target 1 h of business time" in sla
    assert "started" in sla and "requirement opened" in sla
    assert "<strong>paused</strong>" in sla and "<strong>resumed</strong>" in sla
    assert "paused for 2 h" in sla
    assert '<strong>breached</strong> <span class="muted">— the 1 h target passed' in sla


# ---------------------------------------------------------------- new requirement


def test_customer_page_links_to_the_form_and_lists_requirements(world: World) -> None:
    req = world.open("Printer on fire")
    html = text_of(world.client("agent").get(f"/customers/{world.customer}"))
    assert f'href="/customers/{world.customer}/requirements/new"' in html
    requirements_box = html.split('id="requirements"')[1].split("</article>")[0]
    assert (
        f'href="/requirements/{req}"' in requirements_box and "Printer on fire" in requirements_box
    )


def test_new_requirement_errors_at_each_field_with_input_kept(world: World) -> None:
    with world.app.app_context():
        categories.create_category(db.session, "hardware", actor_id=None, clock=world.clock)
        db.session.commit()
    agent = world.client("agent")
    path = f"/customers/{world.customer}/requirements/new"
    form = form_values(text_of(agent.get(path)))
    assert form["assignee_id"] == str(world.users["agent"].id)  # defaults: me, my one team
    assert form["team_id"] == str(world.team)
    assert form["priority"] == "normal"

    response = agent.post(
        path,
        data={
            **form,
            "title": "   ",
            "description": "It smokes",
            "category": "hardware",
            "priority": "whenever",
            "workflow": "support",
        },
    )

    html = text_of(response)
    assert response.status_code == 422
    assert field_error(html, "title") == "Give the requirement a title."
    assert field_error(html, "priority").startswith("Choose one of: low, normal")
    kept = form_values(html)
    assert kept["description"].strip() == "It smokes" and kept["category"] == "hardware"
    with world.app.app_context():
        assert db.session.scalars(select(Requirement)).all() == []


def test_new_requirement_opens_and_shows_its_page(world: World) -> None:
    agent = world.client("agent")
    path = f"/customers/{world.customer}/requirements/new"
    form = form_values(text_of(agent.get(path)))
    response = agent.post(
        path,
        data={**form, "title": "Big deal", "workflow": "sales", "priority": "high"},
    )
    assert response.status_code == 303
    html = text_of(agent.get(response.headers["Location"]))
    assert "Big deal" in html and "Sales opportunity" in html
    assert buttons(html) == ["qualify", "lose"]


def test_new_requirement_with_an_assignee_is_already_assigned(world: World) -> None:
    agent = world.client("agent")
    path = f"/customers/{world.customer}/requirements/new"
    form = form_values(text_of(agent.get(path)))
    response = agent.post(path, data={**form, "title": "Printer on fire", "workflow": "support"})
    assert response.status_code == 303
    requirement_id = int(response.headers["Location"].rsplit("/", 1)[1])
    opened = world.get(requirement_id)
    assert (opened.state, opened.assignee_id, opened.priority) == (
        "open",
        world.users["agent"].id,
        "normal",
    )
    assert "assign" not in buttons(text_of(agent.get(response.headers["Location"])))


def test_new_requirement_for_a_missing_customer_is_404(world: World) -> None:
    assert world.client("agent").get("/customers/99999/requirements/new").status_code == 404


# ---------------------------------------------------------------- workflow diagrams


def test_workflow_diagrams_are_for_admins_and_drawn_from_the_declarations(world: World) -> None:
    assert world.client("lead").get("/admin/workflows").status_code == 403
    html = text_of(world.client("admin").get("/admin/workflows"))
    for key in requirements.WORKFLOWS:
        assert f'id="workflow-{key}"' in html
    assert html.count("<svg") == len(requirements.WORKFLOWS)
    assert 'data-state="waiting_on_customer"' in html
    assert "stateDiagram-v2" in html and "open --&gt; in_progress: start" in html
    assert "has a resolution note" in html  # the guard, in the transitions table


# ---------------------------------------------------------------- escalations


@pytest.fixture
def breached(world: World) -> dict[str, int]:
    """Two requirements under a fast policy: one breached, one at risk."""
    world.policy(
        {"default": {"first_response": 600}, "low": {"first_response": 6000}},
        warning_percent=50,
        ladder=[{"at": "breach", "recipients": ["assignee"]}],
    )
    late = world.open("Late one", assignee_id=world.users["agent"].id)
    risky = world.open("Risky one", assignee_id=world.users["colleague"].id, priority="low")
    world.clock.advance(timedelta(minutes=51))  # late: breached 41 min ago; risky: past 50 %
    world.run_due_timers()
    with world.app.app_context():
        clocks = {
            c.requirement_id: c.id
            for c in db.session.scalars(
                select(SlaClock).where(SlaClock.metric == Metric.FIRST_RESPONSE)
            )
        }
    return {"late": late, "risky": risky, "late_clock": clocks[late], "risky_clock": clocks[risky]}


def test_escalation_queue_is_for_supervisors_with_breached_first(
    world: World, breached: dict[str, int]
) -> None:
    assert world.client("agent").get("/escalations").status_code == 403
    html = text_of(world.client("lead").get("/escalations"))
    rows = re.findall(r'<tr data-clock="(\d+)" data-level="([a-z_]+)"', html)
    assert rows == [
        (str(breached["late_clock"]), "breached"),
        (str(breached["risky_clock"]), "at_risk"),
    ]
    assert "breached 41 min ago" in html
    assert "Alma Agent" in html and "Support" in html
    # The navigation's counts.
    assert re.search(r'data-count="at_risk"[^>]*>1 at risk<', html)
    assert re.search(r'data-count="breached"[^>]*>1 breached<', html)
    assert re.search(
        r'data-count="breached"[^>]*>1 breached<',
        text_of(world.client("lead").get("/requirements")),
    )


def test_live_endpoint_sends_rows_only_when_they_changed(
    world: World, breached: dict[str, int]
) -> None:
    lead = world.client("lead")
    first = lead.get("/escalations/live").get_json()
    assert first["counts"] == {"at_risk": 1, "breached": 1, "acknowledged": 0}
    assert "Late one" in first["html"]
    same = lead.get(f"/escalations/live?since={first['signature']}").get_json()
    assert "html" not in same and same["signature"] == first["signature"]

    world.clock.advance(timedelta(minutes=5))  # time passing alone changes nothing
    assert "html" not in lead.get(f"/escalations/live?since={first['signature']}").get_json()

    world.fire(breached["late"], "assign")
    world.fire(breached["late"], "resolve", note="Done")
    changed = lead.get(f"/escalations/live?since={first['signature']}").get_json()
    assert changed["counts"] == {"at_risk": 1, "breached": 0, "acknowledged": 0}
    assert "Late one" not in changed["html"] and "Risky one" in changed["html"]


def test_acknowledge_one_and_in_bulk_with_refusals_named(
    world: World, breached: dict[str, int]
) -> None:
    lead = world.client("lead")
    response = post(lead, f"/escalations/{breached['late_clock']}/acknowledge", {}, "/escalations")
    assert response.status_code == 303
    html = text_of(lead.get("/escalations"))
    assert f"Escalation on #{breached['late']} acknowledged." in html
    assert "acknowledged by Lena Lead" in html
    # Someone is on it: its own section, out of the breached count and the navigation badge.
    waiting, acknowledged = html.split('id="acknowledged"')
    assert f'data-clock="{breached["late_clock"]}"' in acknowledged
    assert f'data-clock="{breached["late_clock"]}"' not in waiting
    assert re.search(r'data-count="breached"[^>]*hidden[^>]*>0 breached<', html)
    assert lead.get("/escalations/counts").get_json() == {
        "at_risk": 1,
        "breached": 0,
        "acknowledged": 1,
    }

    fresh = world.open("Fresh one", assignee_id=world.users["agent"].id)
    with world.app.app_context():
        fresh_clock = db.session.scalar(select(SlaClock.id).where(SlaClock.requirement_id == fresh))
    response = post(
        lead,
        "/escalations/acknowledge",
        {"ids": [str(breached["risky_clock"]), str(fresh_clock)]},
        "/escalations",
    )
    html = text_of(lead.get(response.headers["Location"]))
    assert f"Acknowledged: #{breached['risky']}." in html
    assert f"Not acknowledged #{fresh}: id: This clock is not at risk yet." in html


def test_reassign_from_the_escalation_queue(world: World, breached: dict[str, int]) -> None:
    lead = world.client("lead")
    response = post(
        lead,
        f"/escalations/{breached['late_clock']}/reassign",
        {"assignee_id": str(world.users["colleague"].id)},
        "/escalations",
    )
    assert response.status_code == 303
    assert world.get(breached["late"]).assignee_id == world.users["colleague"].id


def test_a_requirement_moved_on_still_breaches_and_can_be_acknowledged(world: World) -> None:
    world.policy({"default": {"first_response": 600}})
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    world.fire(req, "assign")
    world.clock.advance(timedelta(minutes=11))
    world.run_due_timers()
    with world.app.app_context():
        clock_id = db.session.scalar(select(SlaClock.id).where(SlaClock.requirement_id == req))
    lead = world.client("lead")
    response = post(lead, f"/escalations/{clock_id}/acknowledge", {}, "/escalations")
    assert f"Escalation on #{req} acknowledged." in text_of(lead.get(response.headers["Location"]))


# ---------------------------------------------------------------- safe actions


def test_cancel_asks_first_naming_what_will_happen(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    agent = world.client("agent")
    page = f"/requirements/{req}"
    html = text_of(agent.get(page))
    assert re.search(r'value="cancel"[^>]*data-confirm="Cancelling stops its SLA clocks', html)

    asked = post(agent, f"{page}/transitions", {"trigger": "cancel", "note": "Duplicate"}, page)
    asked_html = text_of(asked)
    assert asked.status_code == 200 and world.get(req).state == "new"
    assert f"Cancel #{req} “Printer on fire”?" in asked_html
    assert "Only a supervisor can reopen it, within 14 days." in asked_html
    values = form_values(asked_html)
    assert (values["trigger"], values["note"]) == ("cancel", "Duplicate")
    assert values["confirmed"] == "yes"
    assert "Yes, cancel" in asked_html

    done = agent.post(f"{page}/transitions", data=values)
    assert done.status_code == 303 and world.get(req).state == "cancelled"


def test_bulk_cancel_asks_first_listing_the_requirements(world: World) -> None:
    first = world.open("First", assignee_id=world.users["agent"].id)
    second = world.open("Second", assignee_id=world.users["agent"].id)
    agent = world.client("agent")
    values = {
        "ids": [str(first), str(second)],
        "action": "fire",
        "trigger": "cancel",
        "next": "/requirements?queue=mine",
    }
    asked = post(agent, "/requirements/bulk", values, "/requirements")
    html = text_of(asked)
    assert asked.status_code == 200
    assert "Cancel 2 requirements?" in html
    assert f"#{first} First" in html and f"#{second} Second" in html
    assert world.get(first).state == "new" and world.get(second).state == "new"

    confirmed = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html)
    data: dict[str, Any] = {}
    for name, value in confirmed:
        data.setdefault(name, []).append(value)
    done = agent.post("/requirements/bulk", data=data)
    assert done.status_code == 303
    assert world.get(first).state == "cancelled" and world.get(second).state == "cancelled"
    assert "Cancel: done for" in text_of(agent.get(done.headers["Location"]))


def test_a_supervisor_reopens_a_cancelled_requirement_within_the_window(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    world.fire(req, "assign", "cancel")
    page = f"/requirements/{req}"
    # Not for agents: no button, and the trigger is refused.
    agent = world.client("agent")
    assert buttons(text_of(agent.get(page))) == []
    refused = post(agent, f"{page}/transitions", {"trigger": "reopen_cancelled"}, page)
    assert refused.status_code in (403, 409) and world.get(req).state == "cancelled"

    lead = world.client("lead")
    assert buttons(text_of(lead.get(page))) == ["reopen_cancelled"]
    world.clock.advance(timedelta(days=13))
    response = post(lead, f"{page}/transitions", {"trigger": "reopen_cancelled"}, page)
    assert response.status_code == 303 and world.get(req).state == "open"
    timeline = text_of(lead.get(page))
    assert "Reopen (undo the cancel)</strong>: cancelled → open" in timeline
    assert "Lena Lead" in timeline  # who did it, on the audited timeline


def test_a_cancelled_requirement_stays_cancelled_after_the_window(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    world.fire(req, "assign", "cancel")
    world.clock.advance(timedelta(days=15))
    page = f"/requirements/{req}"
    lead = world.client("lead")
    response = post(lead, f"{page}/transitions", {"trigger": "reopen_cancelled"}, page)
    assert response.status_code == 422
    assert "can be reopened for 14 days only" in text_of(response)
    assert world.get(req).state == "cancelled"


def test_stale_assignment_saves_merge_and_only_the_same_field_conflicts(world: World) -> None:
    req = world.open("Printer on fire", assignee_id=world.users["agent"].id)
    agent, lead = world.client("agent"), world.client("lead")
    page = f"/requirements/{req}"
    mine = {k: v for k, v in form_values(text_of(agent.get(page))).items() if k != "note"}
    theirs = {k: v for k, v in form_values(text_of(lead.get(page))).items() if k != "note"}
    assert mine["original-priority"] == "normal"

    theirs["priority"] = "high"
    assert lead.post(f"{page}/assignment", data=theirs).status_code == 303
    mine["assignee_id"] = str(world.users["colleague"].id)
    assert agent.post(f"{page}/assignment", data=mine).status_code == 303  # merged
    saved = world.get(req)
    assert (saved.priority.value, saved.assignee_id) == ("high", world.users["colleague"].id)

    again_mine = {k: v for k, v in form_values(text_of(lead.get(page))).items() if k != "note"}
    again_theirs = {k: v for k, v in form_values(text_of(lead.get(page))).items() if k != "note"}
    again_theirs["priority"] = "urgent"
    assert lead.post(f"{page}/assignment", data=again_theirs).status_code == 303
    again_mine["priority"] = "low"
    conflict = lead.post(f"{page}/assignment", data=again_mine)
    assert conflict.status_code == 409
    table = text_of(conflict).split('id="conflict"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">([^<]+)</th>', table) == ["Priority"]
    assert "changed by Lena Lead just now" in table
    assert world.get(req).priority.value == "urgent"
