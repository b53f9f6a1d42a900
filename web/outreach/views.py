"""Strategy pages: list with status and headline figures, builder (new, edit), the strategy
page with dry run, lifecycle buttons, progress and enrolments (search, stop one)."""

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug import Response

from models import Calendar, Customer, Enrolment, EnrolmentEvent, Role, Segment, Strategy
from web.access import can, role_required
from web.clocks import current_clock
from web.confirmations import ask_first, is_confirmed
from web.extensions import db
from web.outreach import bp
from web.outreach.builder import STEP_SLOTS, definition_from, form_values
from web.outreach.settings import link_settings
from workflows.outreach import activation, definitions, enrolments, strategies
from workflows.platform.errors import ValidationFailed

# What the irreversible steps do, said before they happen (web/confirmations.py).
ARCHIVE_SENTENCE = _l("An archived strategy sends nothing more and cannot be started again.")
STOP_SENTENCE = _l("Nothing more of this strategy is sent to them; they cannot be enrolled back.")


def _strategy_or_404(strategy_id: int) -> Strategy:
    strategy = db.session.get(Strategy, strategy_id)
    if strategy is None:
        abort(404)
    return strategy


@bp.get("")
@login_required
def index() -> str:
    rows = list(db.session.scalars(select(Strategy).order_by(Strategy.id.desc())))
    figures = strategies.headline(db.session, [s.id for s in rows])
    return render_template(
        "outreach/index.html",
        rows=rows,
        figures=figures,
        can_manage=can(current_user, Role.SUPERVISOR),
    )


def _builder(
    values: dict[str, Any],
    errors: dict[str, list[str]],
    strategy: Strategy | None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "outreach/builder.html",
        values=values,
        errors=errors,
        strategy=strategy,
        slots=range(STEP_SLOTS),
        segments=db.session.scalars(select(Segment).order_by(Segment.name)).all(),
        calendars=db.session.scalars(select(Calendar).order_by(Calendar.name)).all(),
        options={
            "kpis": definitions.GOAL_KPIS,
            "audiences": definitions.AUDIENCE_KINDS,
            "channels": definitions.CHANNELS,
            "units": definitions.DELAY_UNITS,
            "conditions": definitions.CONDITIONS,
            "consents": definitions.CONSENT_RULES,
            "splits": definitions.SPLIT_MODES,
        },
    ), status


@bp.get("/new")
@role_required(Role.SUPERVISOR)
def new() -> tuple[str, int]:
    values = form_values("", {"steps": [{"channel": "email"}]})
    return _builder(values, {}, None)


@bp.post("/new")
@role_required(Role.SUPERVISOR)
def create() -> Response | tuple[str, int]:
    definition = definition_from(request.form)
    name = request.form.get("name", "")
    try:
        strategy = strategies.create(
            db.session,
            {"name": name, "definition": definition},
            actor_id=current_user.id,
            clock=current_clock(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return _builder(form_values(name, definition), exc.errors, None, 422)
    db.session.commit()
    flash(_("Strategy saved as a draft. Run a dry run, then activate it."), "success")
    return redirect(url_for("outreach.show", strategy_id=strategy.id))


@bp.get("/<int:strategy_id>/edit")
@role_required(Role.SUPERVISOR)
def edit(strategy_id: int) -> tuple[str, int]:
    strategy = _strategy_or_404(strategy_id)
    definition = strategies.current_version(db.session, strategy).definition
    return _builder(form_values(strategy.name, definition), {}, strategy)


@bp.post("/<int:strategy_id>/edit")
@role_required(Role.SUPERVISOR)
def update(strategy_id: int) -> Response | tuple[str, int]:
    strategy = _strategy_or_404(strategy_id)
    definition = definition_from(request.form)
    name = request.form.get("name", "")
    try:
        strategies.edit(
            db.session,
            strategy,
            {"name": name, "definition": definition},
            actor_id=current_user.id,
            clock=current_clock(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return _builder(form_values(name, definition), exc.errors, strategy, 422)
    db.session.commit()
    flash(_("Strategy saved."), "success")
    return redirect(url_for("outreach.show", strategy_id=strategy.id))


def _show(
    strategy: Strategy,
    dry_run: dict[str, Any] | None = None,
    preview: dict[str, Any] | None = None,
    preview_errors: dict[str, list[str]] | None = None,
) -> str:
    q = request.args.get("q") or None
    status = request.args.get("status") or None
    return render_template(
        "outreach/show.html",
        strategy=strategy,
        archive_sentence=ARCHIVE_SENTENCE,
        stop_sentence=STOP_SENTENCE,
        data=strategies.as_dict(db.session, strategy),
        dry_run=dry_run,
        enrolments=enrolments.search(db.session, strategy.id, q=q, status=status, limit=100),
        q=q or "",
        status=status or "",
        can_manage=can(current_user, Role.SUPERVISOR),
        preview=preview,
        preview_errors=preview_errors or {},
    )


@bp.get("/<int:strategy_id>/preview")
@login_required
def preview(strategy_id: int) -> tuple[str, int] | str:
    """A step rendered for a chosen customer, in their language."""
    strategy = _strategy_or_404(strategy_id)
    customer_id = request.args.get("customer_id", "")
    step = request.args.get("step", "1")
    customer = db.session.get(Customer, int(customer_id)) if customer_id.isdigit() else None
    if customer is None:
        return _show(strategy, preview_errors={"customer_id": [_("No such customer.")]}), 422
    try:
        shown = enrolments.preview(
            db.session,
            strategy,
            customer,
            int(step) - 1 if step.isdigit() else -1,
            None,
            settings=link_settings(),
        )
    except ValidationFailed as exc:
        return _show(strategy, preview_errors=exc.errors), 422
    return _show(strategy, preview={**shown, "customer": customer.name})


@bp.get("/<int:strategy_id>")
@login_required
def show(strategy_id: int) -> str:
    return _show(_strategy_or_404(strategy_id))


@bp.get("/<int:strategy_id>/progress")
@login_required
def progress(strategy_id: int) -> dict[str, Any]:
    """What the progress bar polls while the audience is enrolled in the background."""
    data = strategies.as_dict(db.session, _strategy_or_404(strategy_id))
    return {"progress": data["progress"], "figures": data["figures"], "status": data["status"]}


@bp.post("/<int:strategy_id>/dry-run")
@login_required
def dry_run(strategy_id: int) -> str:
    strategy = _strategy_or_404(strategy_id)
    result = activation.dry_run(db.session, strategy, clock=current_clock())
    db.session.rollback()
    return _show(strategy, result)


@bp.post("/<int:strategy_id>/<any(activate, pause, resume, archive):trigger>")
@role_required(Role.SUPERVISOR)
def move(strategy_id: int, trigger: str) -> Response | str:
    strategy = _strategy_or_404(strategy_id)
    if trigger == "archive" and not is_confirmed():
        return ask_first(
            heading=_("Archive the strategy “%(name)s”?", name=strategy.name),
            what=[ARCHIVE_SENTENCE],
            confirm_label=_("Yes, archive it"),
            back=url_for("outreach.show", strategy_id=strategy.id),
        )
    strategies.transition(db.session, strategy, trigger, clock=current_clock())
    db.session.commit()
    return redirect(url_for("outreach.show", strategy_id=strategy.id))


@bp.get("/<int:strategy_id>/enrolments/<int:enrolment_id>")
@login_required
def enrolment(strategy_id: int, enrolment_id: int) -> str:
    row = db.session.get(Enrolment, enrolment_id)
    if row is None or row.strategy_id != strategy_id:
        abort(404)
    timeline = db.session.scalars(
        select(EnrolmentEvent)
        .where(EnrolmentEvent.enrolment_id == row.id)
        .order_by(EnrolmentEvent.id)
    ).all()
    return render_template(
        "outreach/enrolment.html", strategy=row.strategy, enrolment=row, timeline=timeline
    )


@bp.post("/<int:strategy_id>/enrolments/<int:enrolment_id>/stop")
@login_required
def stop(strategy_id: int, enrolment_id: int) -> Response | str:
    row = db.session.get(Enrolment, enrolment_id)
    if row is None or row.strategy_id != strategy_id:
        abort(404)
    if not is_confirmed():
        return ask_first(
            heading=_("Remove this customer from the strategy?"),
            what=[STOP_SENTENCE],
            confirm_label=_("Yes, remove"),
            back=url_for("outreach.show", strategy_id=strategy_id),
        )
    enrolments.remove(db.session, row, actor=current_user, clock=current_clock())
    db.session.commit()
    flash(_("Removed from the strategy: nothing more will be sent."), "success")
    return redirect(url_for("outreach.show", strategy_id=strategy_id))
