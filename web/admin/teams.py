from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from models import Role, Team, User
from web.access import role_required
from web.admin import bp
from web.admin.forms import TeamForm, TeamMembersForm
from web.clocks import current_clock
from web.extensions import db
from web.i18n import role_label
from workflows.platform import accounts
from workflows.platform.errors import ValidationFailed


@bp.route("/teams", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def teams() -> Response | str | tuple[str, int]:
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = accounts.create_team(db.session, form.name.data or "", clock=current_clock())
        except ValidationFailed as exc:
            db.session.rollback()
            form.name.errors = list(form.name.errors) + exc.errors.get("name", [])
        else:
            db.session.commit()
            flash(_("Team %(name)s created; now add its members.", name=team.name), "success")
            return redirect(url_for("admin.edit_team", team_id=team.id))
    rows = db.session.scalars(select(Team).order_by(func.lower(Team.name))).all()
    status = 422 if request.method == "POST" else 200
    return render_template("admin/teams.html", teams=rows, form=form), status


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_team(team_id: int) -> Response | str | tuple[str, int]:
    team = db.get_or_404(Team, team_id)
    form = TeamMembersForm()
    # Current members stay on offer even when inactive: a select without their option would
    # drop them from the team on any unrelated save.
    member_ids = [m.user_id for m in team.memberships]
    users = db.session.scalars(
        select(User)
        .where(or_(User.is_active, User.id.in_(member_ids)))
        .order_by(func.lower(User.name))
    ).all()
    choices = [SelectChoice(u.id, _label(u)) for u in users]
    form.members.choices = choices
    form.supervisors.choices = choices
    if request.method == "GET":
        form.members.data = [m.user_id for m in team.memberships]
        form.supervisors.data = [m.user_id for m in team.memberships if m.is_supervisor]
    if form.validate_on_submit():
        try:
            accounts.set_team_members(
                db.session, team, form.members.data or [], form.supervisors.data or []
            )
        except ValidationFailed as exc:
            db.session.rollback()
            form.members.errors = list(form.members.errors) + exc.errors.get("members", [])
        else:
            db.session.commit()
            flash(_("Team %(name)s is saved.", name=team.name), "success")
            return redirect(url_for("admin.teams"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/team_edit.html", team=team, form=form), status


def _label(user: User) -> str:
    if user.is_active:
        return _("%(name)s (%(role)s)", name=user.name, role=role_label(user.role))
    return _("%(name)s (%(role)s, inactive)", name=user.name, role=role_label(user.role))
