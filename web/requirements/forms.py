"""The new-requirement form and the requirement page's assignment form."""

from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from models import Priority
from web.requirements import queries
from workflows.tracking import categories
from workflows.tracking.requirements import WORKFLOWS

NOBODY = SelectChoice("", "— nobody")
NO_TEAM = SelectChoice("", "— no team")


def priority_choices() -> list[SelectChoice]:
    return [SelectChoice(p.value, p.value) for p in Priority]


def _people(session: Session, blank: SelectChoice) -> list[SelectChoice]:
    return [blank, *(SelectChoice(str(i), name) for i, name in queries.user_choices(session))]


def _teams(session: Session, blank: SelectChoice) -> list[SelectChoice]:
    return [blank, *(SelectChoice(str(i), name) for i, name in queries.team_choices(session))]


class AssignmentForm(FlaskForm):
    version = HiddenField()
    assignee_id = SelectField("Assignee", validate_choice=False)
    team_id = SelectField("Team", validate_choice=False)
    priority = SelectField("Priority", validate_choice=False)


class RequirementForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=300)])
    description = TextAreaField("Description")
    category = SelectField("Category", validate_choice=False)
    priority = SelectField("Priority", validate_choice=False)
    workflow = SelectField("Workflow", validate_choice=False)
    team_id = SelectField("Team", validate_choice=False)
    assignee_id = SelectField("Assignee", validate_choice=False)


def build_assignment_form(session: Session, **kwargs: Any) -> AssignmentForm:
    form = AssignmentForm(**kwargs)
    form.assignee_id.choices = _people(session, NOBODY)
    form.team_id.choices = _teams(session, NO_TEAM)
    form.priority.choices = priority_choices()
    return form


NO_CATEGORY = SelectChoice("", "— none")


def category_choices(session: Session, current: str | None = None) -> list[SelectChoice]:
    """The admin's list; a requirement's own category stays choosable after it left the list."""
    known = categories.names(session)
    if current and current not in known:
        known = sorted([*known, current])
    return [NO_CATEGORY, *(SelectChoice(n, n) for n in known)]


def build_requirement_form(session: Session) -> RequirementForm:
    form = RequirementForm()
    form.priority.choices = priority_choices()
    form.category.choices = category_choices(session)
    form.workflow.choices = [SelectChoice(w.key, w.label) for w in WORKFLOWS.values()]
    form.team_id.choices = _teams(session, NO_TEAM)
    form.assignee_id.choices = _people(session, NOBODY)
    return form


def optional_id(form: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    """A select's id, None when blank; a non-number becomes an error at the field."""
    raw = (form[name].data or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        errors.setdefault(name, []).append("Choose from the list.")
        return None
