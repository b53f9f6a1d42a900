"""The canned responses page: the user's own and their teams' responses, a form that checks
the template when saved (syntax, unknown variables and fields at the body field), delete."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from models import CannedResponse, Role, Team, User
from web.access import role_required
from web.canned import bp
from web.clocks import current_clock
from web.confirmations import ask_first, is_confirmed
from web.extensions import db
from web.forms import attach_errors, int_or_zero
from workflows.channels import canned
from workflows.platform.errors import StaleEdit, ValidationFailed

Page = Response | str | tuple[str, int]
PERSONAL = SelectChoice("", _l("Only me"))


class CannedForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Name"))
    team_id = SelectField(_l("Shared with"), validate_choice=False)
    body = TextAreaField(_l("Text (Markdown, with variables)"))


def _user() -> User:
    return current_user._get_current_object()


def _form(user: User, **kwargs: object) -> CannedForm:
    form = CannedForm(**kwargs)
    query = select(Team).order_by(Team.name)
    if not user.has_role(Role.ADMIN):
        query = query.where(Team.id.in_([t.id for t in user.teams]))
    teams = [
        SelectChoice(str(t.id), _("Team %(name)s", name=t.name)) for t in db.session.scalars(query)
    ]
    form.team_id.choices = [PERSONAL, *teams]
    return form


def _data(form: CannedForm) -> dict[str, object]:
    return {"name": form.name.data, "body": form.body.data, "team_id": form.team_id.data or None}


def _editable_or_404(canned_id: int) -> CannedResponse:
    row = db.session.get(CannedResponse, canned_id)
    if row is None or not canned.may_edit(db.session, _user(), row):
        abort(404)
    return row


def _page(template: str, form: CannedForm, status: int, **extra: object) -> tuple[str, int]:
    return render_template(template, form=form, variables=canned.VARIABLES, **extra), status


@bp.get("")
@role_required(Role.AGENT)
def index() -> str:
    user = _user()
    rows = canned.visible_to(db.session, user)
    teams = dict(db.session.execute(select(Team.id, Team.name)).all())
    return render_template(
        "canned/index.html",
        personal=[("", r) for r in rows if r.team_id is None],
        shared=[(teams.get(r.team_id, ""), r) for r in rows if r.team_id is not None],
        editable={r.id for r in rows if canned.may_edit(db.session, user, r)},
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.AGENT)
def new() -> Page:
    user = _user()
    form = _form(user)
    if form.validate_on_submit():
        try:
            row = canned.create_canned(db.session, _data(form), actor=user, clock=current_clock())
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Saved “%(name)s”.", name=row.name), "success")
            return redirect(url_for("canned.index"), 303)
    return _page("canned/edit.html", form, 422 if request.method == "POST" else 200, row=None)


@bp.route("/<int:canned_id>", methods=["GET", "POST"])
@role_required(Role.AGENT)
def edit(canned_id: int) -> Page:
    row = _editable_or_404(canned_id)
    user = _user()
    if request.method == "GET":
        form = _form(user, formdata=None, obj=row)
        form.team_id.data = str(row.team_id or "")
        form.version.data = str(row.version)
        return _page("canned/edit.html", form, 200, row=row)
    form = _form(user)
    if form.validate_on_submit():
        try:
            canned.update_canned(
                db.session,
                row,
                _data(form),
                expected_version=int_or_zero(form.version.data),
                actor_id=user.id,
                clock=current_clock(),
            )
            db.session.commit()
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(_("Not saved: someone changed it since you opened it. Reload it."), "error")
            return _page("canned/edit.html", form, 409, row=_editable_or_404(canned_id))
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            flash(_("Saved “%(name)s”.", name=row.name), "success")
            return redirect(url_for("canned.index"), 303)
    return _page("canned/edit.html", form, 422, row=_editable_or_404(canned_id))


@bp.post("/<int:canned_id>/delete")
@role_required(Role.AGENT)
def delete(canned_id: int) -> Response | str:
    row = _editable_or_404(canned_id)
    name = row.name
    if not is_confirmed():
        return ask_first(
            heading=_("Delete the canned response “%(name)s”?", name=name),
            what=[_("It is deleted for good; replies already sent with it stay as they are.")],
            confirm_label=_("Yes, delete it"),
            back=url_for("canned.index"),
        )
    canned.delete_canned(db.session, row, actor_id=_user().id, clock=current_clock())
    db.session.commit()
    flash(_("Deleted “%(name)s”.", name=name), "success")
    return redirect(url_for("canned.index"), 303)
