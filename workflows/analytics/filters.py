"""Which requirements a support or Pareto report counts: filters on indexed requirement
columns, parsed from plain strings (a form or a query string) with field-named errors, and the
viewer's read scope (`workflows.tracking.visibility`): a supervisor's figures count only the
requirements they may read, an admin's all of them."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.sql import ColumnElement

from models import Priority, Requirement, SlaPolicyVersion
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking.requirements import WORKFLOWS

FIELDS = ("team_id", "assignee_id", "priority", "category", "workflow", "sla_policy_id")


@dataclass(frozen=True)
class RequirementFilter:
    team_id: int | None = None
    assignee_id: int | None = None
    priority: str | None = None
    category: str | None = None
    workflow: str | None = None
    sla_policy_id: int | None = None
    # The read policy's WHERE clause, from `visibility.readable`; no filter the viewer chose,
    # so it is not described. None: no limit (tests, benchmarks, admins' own tools).
    scope: ColumnElement[bool] | None = dataclasses.field(default=None, compare=False, repr=False)

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        # An admin's scope is TRUE: no condition at all, so the per-day series keep reading
        # events without joining their requirements (support._with_filters).
        if self.scope is not None and not self.scope.compare(true()):
            found.append(self.scope)
        if self.team_id is not None:
            found.append(Requirement.team_id == self.team_id)
        if self.assignee_id is not None:
            found.append(Requirement.assignee_id == self.assignee_id)
        if self.priority is not None:
            found.append(Requirement.priority == Priority(self.priority))
        if self.category is not None:
            found.append(Requirement.category == self.category)
        if self.workflow is not None:
            found.append(Requirement.workflow == self.workflow)
        if self.sla_policy_id is not None:
            versions = select(SlaPolicyVersion.id).where(
                SlaPolicyVersion.policy_id == self.sla_policy_id
            )
            found.append(Requirement.sla_policy_version_id.in_(versions))
        return found

    def describe(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in FIELDS if getattr(self, key) is not None}


def parse_filter(args: dict[str, Any]) -> RequirementFilter:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for field in ("team_id", "assignee_id", "sla_policy_id"):
        raw = str(args.get(field) or "").strip()
        if raw:
            if raw.isdigit():
                values[field] = int(raw)
            else:
                errors[field] = [Message(N_("Enter a number (an id)."))]
    priority = str(args.get("priority") or "").strip()
    if priority:
        if priority in {p.value for p in Priority}:
            values["priority"] = priority
        else:
            errors["priority"] = [
                Message(
                    N_("Choose one of: %(choices)s."), choices=", ".join(p.value for p in Priority)
                )
            ]
    workflow = str(args.get("workflow") or "").strip()
    if workflow:
        if workflow in WORKFLOWS:
            values["workflow"] = workflow
        else:
            errors["workflow"] = [
                Message(N_("Choose one of: %(choices)s."), choices=", ".join(WORKFLOWS))
            ]
    category = str(args.get("category") or "").strip()
    if category:
        values["category"] = category
    if errors:
        raise ValidationFailed(errors)
    return RequirementFilter(**values)
