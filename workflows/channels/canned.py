"""Canned responses: reply texts an agent inserts from the composer, shared by a team or kept
by one agent, with Jinja variables for the customer, the requirement, the agent and the team.

Templates run in Jinja's sandbox on plain dictionaries (never ORM objects), with undefined
names an error: a template is checked when it is saved — syntax, unknown variables and
unknown fields — so an agent never meets a broken one while answering a customer."""

from collections.abc import Collection, Mapping
from types import SimpleNamespace
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import CannedResponse, Customer, Requirement, Role, Team, TeamMembership, User
from models.name_readings import greeting_name
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking.requirements import NotPermitted

# The variables a template may use, with their fields; `context_for` fills exactly these.
VARIABLES: dict[str, tuple[str, ...]] = {
    "customer": ("name", "first_name", "email"),
    "requirement": ("id", "title", "state", "priority", "reference"),
    "agent": ("name", "first_name", "email"),
    "team": ("name",),
}
MAX_NAME_CHARS = 120
MAX_BODY_CHARS = 20_000
FIELDS = ("name", "body", "team_id")

# Structures a reply text does not need and that could make a saved template slow to render
# (nested loops multiply), or reach beyond it: refused when saved.
REFUSED_NODES: dict[type[nodes.Node], str] = {
    nodes.For: "loops",
    nodes.Macro: "macros",
    nodes.CallBlock: "call blocks",
    nodes.Include: "includes",
    nodes.Import: "imports",
    nodes.FromImport: "imports",
    nodes.Extends: "extends",
}
MAX_REPEAT = 1_000  # `"-" * 40` draws a line; a million copies is a mistake, or worse


class _ReplyEnvironment(SandboxedEnvironment):
    """The sandbox, without globals (range, lipsum, …) and with `*` and `**` bounded."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" or (
            operator == "*" and any(isinstance(v, int) and v > MAX_REPEAT for v in (left, right))
        ):
            raise SecurityError(
                Message(
                    N_("“%(operator)s” with such a number is not allowed here"), operator=operator
                )
            )
        return super().call_binop(context, operator, left, right)


# Markdown out, rendered and sanitised as the reply is (bodies.render): no autoescape.
_env = _ReplyEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_env.globals.clear()


def _sample() -> dict[str, dict[str, Any]]:
    return {name: {field: "x" for field in fields} for name, fields in VARIABLES.items()}


def template_errors(body: str) -> list[str]:
    """What is wrong with `body` as a template, for the field message; [] when it is fine."""
    try:
        tree = _env.parse(body)
    except TemplateSyntaxError as exc:
        # Translators: the reason is Jinja's English text.
        reason = (exc.message or "").rstrip(".")
        return [Message(N_("Line %(line)s: %(reason)s."), line=exc.lineno, reason=reason)]
    known = ", ".join(sorted(VARIABLES))
    errors = []
    refused = sorted({REFUSED_NODES[type(n)] for n in tree.find_all(tuple(REFUSED_NODES))})
    if refused:
        errors.append(
            Message(N_("Canned responses cannot use %(names)s."), names=", ".join(refused))
        )
    if any(
        isinstance(n.value, int | float) and abs(n.value) > MAX_REPEAT
        for n in tree.find_all(nodes.Const)
    ):  # e.g. `center(10**9)`: a number that big only makes a huge text
        errors.append(Message(N_("Use numbers up to %(limit)s."), limit=MAX_REPEAT))
    for name in sorted(_undeclared(tree)):
        errors.append(
            Message(
                N_("Unknown variable “%(name)s”. Use one of: %(choices)s."),
                name=name,
                choices=known,
            )
        )
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target, field = node.node, _field_of(node)
        if not (isinstance(target, nodes.Name) and target.name in VARIABLES) or field is None:
            continue
        if field not in VARIABLES[target.name]:
            fields = ", ".join(VARIABLES[target.name])
            errors.append(
                Message(
                    N_("“%(name)s” has no “%(field)s”. Use one of: %(choices)s."),
                    name=target.name,
                    field=field,
                    choices=fields,
                )
            )
    if errors:
        return errors
    try:
        _env.from_string(body).render(_sample())
    except (UndefinedError, SecurityError, TypeError, ValueError) as exc:
        return [Message(N_("It does not render: %(reason)s."), reason=str(exc).rstrip("."))]
    return []


def _undeclared(tree: nodes.Template) -> set[str]:
    return {n for n in meta.find_undeclared_variables(tree) if n not in VARIABLES}


def _field_of(node: nodes.Getattr | nodes.Getitem) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def render(body: str, context: dict[str, Any]) -> str:
    """The template filled in; ValidationFailed (field `canned_response`) if it cannot be."""
    try:
        return _env.from_string(body).render(context)
    except (TemplateSyntaxError, UndefinedError, SecurityError, TypeError, ValueError) as exc:
        message = Message(N_("It does not render: %(reason)s."), reason=str(exc).rstrip("."))
        raise ValidationFailed.field("canned_response", message) from exc


def context_for(
    session: Session,
    requirement: Requirement,
    agent: User,
    team_names: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """The variables of a template about `requirement` written by `agent` (`team_names`, if the
    caller has them, saves a query)."""
    customer = session.get(Customer, requirement.customer_id)
    team: Any = None
    if requirement.team_id and team_names is not None:
        team = SimpleNamespace(name=team_names.get(requirement.team_id, ""))
    elif requirement.team_id:
        team = session.get(Team, requirement.team_id)
    customer_name = customer.name if customer else ""
    return {
        "customer": {
            "name": customer_name,
            "first_name": greeting_name(customer_name),
            "email": (customer.primary_email if customer else None) or "",
        },
        "requirement": {
            "id": requirement.id,
            "title": requirement.title,
            "state": requirement.state.replace("_", " "),
            "priority": str(requirement.priority),
            "reference": f"#{requirement.id}",
        },
        "agent": {
            "name": agent.name,
            "first_name": greeting_name(agent.name),
            "email": agent.email,
        },
        "team": {"name": team.name if team else ""},
    }


def _team_ids(session: Session, user: User) -> list[int]:
    return list(
        session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == user.id))
    )


def visible_to(
    session: Session, user: User, team_ids: Collection[int] | None = None
) -> list[CannedResponse]:
    """The user's own responses and their teams', by name (`team_ids`, the user's teams if the
    caller has them already, saves a query)."""
    teams = list(team_ids) if team_ids is not None else _team_ids(session, user)
    return list(
        session.scalars(
            select(CannedResponse)
            .where(
                or_(
                    CannedResponse.owner_id == user.id,
                    CannedResponse.team_id.in_(teams),
                )
            )
            .order_by(CannedResponse.name, CannedResponse.id)
        )
    )


def may_edit(session: Session, user: User, canned: CannedResponse) -> bool:
    """Personal: its owner. Team-shared: any member of the team (they share it), and admins."""
    if user.has_role(Role.ADMIN) and canned.team_id is not None:
        return True
    if canned.owner_id is not None:
        return canned.owner_id == user.id
    return canned.team_id in _team_ids(session, user)


def may_read(session: Session, user: User, canned: CannedResponse) -> bool:
    return may_edit(session, user, canned)


def _clean(
    session: Session, data: dict[str, Any], actor: User, *, creating: bool
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for field in sorted(set(data) - set(FIELDS)):
        errors[field] = [Message(N_("Unknown field."))]
    values: dict[str, Any] = {}
    if creating or "name" in data:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = [Message(N_("Give it a name to find it by."))]
        elif len(name) > MAX_NAME_CHARS:
            errors["name"] = [
                Message(N_("Use at most %(limit)s characters."), limit=MAX_NAME_CHARS)
            ]
        values["name"] = name
    if creating or "body" in data:
        body = data.get("body")
        if not isinstance(body, str) or not body.strip():
            errors["body"] = [Message(N_("Write the response."))]
        elif len(body) > MAX_BODY_CHARS:
            errors["body"] = [
                Message(N_("Use at most %(limit)s characters."), limit=MAX_BODY_CHARS)
            ]
        elif problems := template_errors(body):
            errors["body"] = problems
        values["body"] = body.replace("\r\n", "\n") if isinstance(body, str) else body
    if creating or "team_id" in data:
        team_id = data.get("team_id")
        if team_id in (None, ""):
            values["team_id"], values["owner_id"] = None, actor.id
        else:
            try:
                team_id = int(team_id)
            except (TypeError, ValueError):
                team_id = None
            if team_id is None or session.get(Team, team_id) is None:
                errors["team_id"] = [Message(N_("No such team."))]
            elif not actor.has_role(Role.ADMIN) and team_id not in _team_ids(session, actor):
                errors["team_id"] = [Message(N_("Share it with a team you belong to."))]
            values["team_id"], values["owner_id"] = team_id, None
    if errors:
        raise ValidationFailed(errors)
    return values


def snapshot(canned: CannedResponse) -> dict[str, Any]:
    return {"name": canned.name, "body": canned.body, "team_id": canned.team_id}


def create_canned(
    session: Session, data: dict[str, Any], *, actor: User, clock: Clock
) -> CannedResponse:
    """Save a new response (checked as a template first); flushes, never commits."""
    values = _clean(session, data, actor, creating=True)
    now = clock.now()
    canned = CannedResponse(created_by_id=actor.id, created_at=now, updated_at=now, **values)
    session.add(canned)
    session.flush()
    _audit(session, "create", canned, actor.id, clock, audit.diff({}, snapshot(canned)))
    return canned


def update_canned(
    session: Session,
    canned: CannedResponse,
    data: dict[str, Any],
    *,
    expected_version: int,
    actor_id: int,
    clock: Clock,
) -> CannedResponse:
    """Apply the fields in `data` to the version the editor saw; StaleEdit if it moved on."""
    actor = _actor(session, actor_id, canned)
    if canned.version != expected_version:
        raise StaleEdit(expected_version, canned.version)
    values = _clean(session, data, actor, creating=False)
    before = snapshot(canned)
    for field, value in values.items():
        setattr(canned, field, value)
    changes = audit.diff(before, snapshot(canned))
    if changes:
        canned.updated_at = clock.now()
        session.flush()
        _audit(session, "update", canned, actor_id, clock, changes)
    return canned


def delete_canned(session: Session, canned: CannedResponse, *, actor_id: int, clock: Clock) -> None:
    """Delete for good (a canned response is a convenience, not a record of what was said)."""
    _actor(session, actor_id, canned)
    _audit(session, "delete", canned, actor_id, clock, audit.diff(snapshot(canned), {}))
    session.delete(canned)
    session.flush()


def _actor(session: Session, actor_id: int, canned: CannedResponse) -> User:
    actor = session.get(User, actor_id)
    if actor is None or not may_edit(session, actor, canned):
        raise NotPermitted(Message(N_("Only its owner, or a member of its team, may change it.")))
    return actor


def _audit(
    session: Session,
    action: str,
    canned: CannedResponse,
    actor_id: int,
    clock: Clock,
    changes: dict[str, Any],
) -> None:
    audit.record(
        session,
        action=action,
        entity_type="canned_response",
        entity_id=canned.id,
        actor_id=actor_id,
        clock=clock,
        changes=changes,
    )
