from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from models import LifecycleStage, Role
from web.access import role_required
from web.admin import bp
from web.admin.forms import EditStageForm, StageForm
from web.extensions import db
from web.forms import attach_errors
from web.record_words import stage_words
from workflows.customers import stages
from workflows.platform.errors import ValidationFailed


@bp.route("/stages", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def stage_list() -> Response | str | tuple[str, int]:
    form = StageForm()
    if form.validate_on_submit():
        try:
            stage = stages.create_stage(
                db.session, key=form.key.data or "", name=form.name.data or ""
            )
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Stage “%(name)s” added.", name=stage.name), "success")
            return redirect(url_for("admin.stage_list"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/stages.html", stages=stages.all_stages(db.session), form=form
    ), status


@bp.route("/stages/<int:stage_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_stage(stage_id: int) -> Response | str | tuple[str, int]:
    stage = db.get_or_404(LifecycleStage, stage_id)
    form = EditStageForm(obj=stage)
    # A default stage still under its seeded English name is shown, and edited, in the reader's
    # words; saved unchanged, it keeps the seeded name (other readers see theirs).
    shown = stage_words(stage)
    if request.method == "GET":
        form.name.data = shown
    if form.validate_on_submit():
        name = form.name.data or ""
        if name.strip() == shown and shown != stage.name:
            name = stage.name
        try:
            stages.update_stage(
                db.session,
                stage,
                name=name,
                position=form.position.data or 0,
                is_active=bool(form.is_active.data),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Stage “%(name)s” saved.", name=stage_words(stage)), "success")
            return redirect(url_for("admin.stage_list"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/stage_edit.html", stage=stage, form=form), status
