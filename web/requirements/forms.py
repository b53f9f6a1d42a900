"""The new-requirement form and the requirement page's assignment form."""

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from models import Priority
from web.record_words import ENUM_LABELS
from web.requirements import queries
from workflows.tracking import categories
from workflows.tracking.requirements import WORKFLOWS

NOBODY = SelectChoice("", _l("— nobody"))
NO_TEAM = SelectChoice("", _l("— no team"))


def priority_choices() -> list[SelectChoice]:
    return [SelectChoice(p.value, ENUM_LABELS[p.value]) for p in Priority]


def _people(session: Session, blank: SelectChoice) -> list[SelectChoice]:
    return [blank, *(SelectChoice(str(i), name) for i, name in queries.user_choices(session))]


def _teams(session: Session, blank: SelectChoice) -> list[SelectChoice]:
    return [blank, *(SelectChoice(str(i), name) for i, name in queries.team_choices(session))]


class AssignmentForm(FlaskForm):
    version = HiddenField()
    assignee_id = SelectField(_l("Assignee"), validate_choice=False)
    team_id = SelectField(_l("Team"), validate_choice=False)
    priority = SelectField(_l("Priority"), validate_choice=False)


class RequirementForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=300)])
    description = TextAreaField(_l("Description"))
    category = SelectField(_l("Category"), validate_choice=False)
    priority = SelectField(_l("Priority"), validate_choice=False)
    workflow = SelectField(_l("Workflow"), validate_choice=False)
    team_id = SelectField(_l("Team"), validate_choice=False)
    assignee_id = SelectField(_l("Assignee"), validate_choice=False)
    # Sales opportunities only (the template shows them for the sales workflow); checked by
    # `workflows.tracking.opportunities`.
    amount = StringField(
        _l("Expected amount"), render_kw={"inputmode": "decimal", "placeholder": "1500.00"}
    )
    currency = StringField(
        _l("Currency"),
        render_kw={"maxlength": 3, "autocapitalize": "characters"},
    )
    expected_close_on = StringField(_l("Expected close date"), render_kw={"type": "date"})


def build_assignment_form(session: Session, **kwargs: Any) -> AssignmentForm:
    form = AssignmentForm(**kwargs)
    form.assignee_id.choices = _people(session, NOBODY)
    form.team_id.choices = _teams(session, NO_TEAM)
    form.priority.choices = priority_choices()
    return form


NO_CATEGORY = SelectChoice("", _l("— none"))


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
        errors.setdefault(name, []).append(_("Choose from the list."))
        return None
