"""The new-requirement form, reached from the customer page or, through the customer picker, from
the header and the queues: every error at its field (422), what was typed kept, nothing saved
until all is valid."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models import Priority, Role
from web.access import role_required
from web.clocks import current_clock
from web.customers.access import get_customer_or_404
from web.extensions import db
from web.forms import attach_errors
from web.record_words import in_words
from web.requirements import bp
from web.requirements.access import team_ids_of
from web.requirements.forms import build_requirement_form, optional_id
from workflows.customers.queries import CustomerFilter, list_customers
from workflows.platform.errors import ValidationFailed
from workflows.tracking import requirements

PICKER_LIMIT = 20


def in_reader_words(exc: ValidationFailed) -> ValidationFailed:
    """The workflow's field messages in the reader's language (`Message`s; plain text as is)."""
    return ValidationFailed({k: [in_words(m) for m in v] for k, v in exc.errors.items()})


@bp.get("/requirements/new")
@role_required(Role.AGENT)
def new_requirement() -> str:
    """Pick the customer first (type-ahead with JavaScript, a search form without); the form
    itself is the customer's."""
    q = request.args.get("q", "").strip()[:200]
    customers = (
        list_customers(db.session, CustomerFilter(q=q), limit=PICKER_LIMIT).items if q else []
    )
    return render_template("requirements/pick_customer.html", q=q, customers=customers)


@bp.route("/customers/<int:customer_id>/requirements/new", methods=["GET", "POST"])
@role_required(Role.AGENT)
def new(customer_id: int) -> Response | str | tuple[str, int]:
    customer = get_customer_or_404(customer_id)
    form = build_requirement_form(db.session)
    if request.method == "GET":
        form.assignee_id.data = str(current_user.id)
        form.priority.data = Priority.NORMAL.value
        teams = team_ids_of(db.session, current_user)
        form.team_id.data = str(teams[0]) if len(teams) == 1 else ""
        return render_template("requirements/new.html", form=form, customer=customer)
    if not form.validate_on_submit():
        return render_template("requirements/new.html", form=form, customer=customer), 422
    errors: dict[str, list[str]] = {}
    assignee_id = optional_id(form, "assignee_id", errors)
    team_id = optional_id(form, "team_id", errors)
    try:
        if errors:
            raise ValidationFailed(errors)
        requirement = requirements.open_requirement(
            db.session,
            customer_id=customer.id,
            title=form.title.data or "",
            description=(form.description.data or "").strip() or None,
            category=(form.category.data or "").strip() or None,
            priority=form.priority.data or "",
            workflow=form.workflow.data or "",
            team_id=team_id,
            assignee_id=assignee_id,
            origin_channel=None,
            assign_now=True,
            check_category=True,
            amount=form.amount.data,
            currency=form.currency.data,
            expected_close_on=form.expected_close_on.data,
            clock=current_clock(),
            actor=current_user._get_current_object(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        attach_errors(form, in_reader_words(exc))
        return render_template("requirements/new.html", form=form, customer=customer), 422
    db.session.commit()
    flash(_("Requirement #%(id)s opened.", id=requirement.id), "success")
    return redirect(url_for("requirements.show", requirement_id=requirement.id), 303)
