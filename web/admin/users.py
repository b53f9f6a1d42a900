from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from models import Role, User
from web.access import role_required
from web.admin import bp
from web.admin.forms import EditUserForm, NewUserForm
from web.auth.invitation import send_invitation
from web.clocks import current_clock
from web.confirmations import ask_first, is_confirmed
from web.extensions import db
from web.forms import attach_errors
from workflows.platform import accounts
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.passwords import generate_password

PAGE_SIZE = 50


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> str:
    q = request.args.get("q", "").strip()
    page = max(request.args.get("page", 1, type=int), 1)
    query = select(User).order_by(func.lower(User.name), User.id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    rows = list(db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return render_template(
        "admin/users.html",
        users=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        q=q,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_user() -> Response | str | tuple[str, int]:
    form = NewUserForm()
    if request.method == "GET":
        form.time_zone.data = current_app.config["DEFAULT_TIMEZONE"]
    if form.validate_on_submit():
        # A password nobody knows: the invitation's link lets the user choose their own.
        password = generate_password()
        try:
            user = accounts.create_user(
                db.session,
                email=form.email.data or "",
                name=form.name.data or "",
                password=password,
                role=form.role.data or Role.AGENT,
                time_zone=form.time_zone.data or "UTC",
                clock=current_clock(),
            )
            accounts.set_language(db.session, user, form.language.data)
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc)
            return render_template("admin/user_new.html", form=form), 422
        send_invitation(user)
        db.session.commit()
        flash(
            _(
                "%(name)s is created; an invitation is on its way to %(email)s.",
                name=user.name,
                email=user.email,
            ),
            "success",
        )
        return redirect(url_for("admin.edit_user", user_id=user.id))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_new.html", form=form), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int) -> Response | str | tuple[str, int]:
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:
            accounts.update_user(
                db.session,
                user,
                expected_version=int(form.version.data or 0),
                name=form.name.data or "",
                role=form.role.data or user.role,
                time_zone=form.time_zone.data or "UTC",
                is_active=bool(form.is_active.data),
            )
            accounts.set_language(db.session, user, form.language.data)
        except StaleEdit as exc:
            db.session.rollback()
            saved = EditUserForm(formdata=None, obj=user)
            saved.role.data = user.role.value
            flash(
                _("%(exc)s The form now shows the saved version; compare it with yours.", exc=exc),
                "error",
            )
            return render_template(
                "admin/user_edit.html", form=saved, user=user, conflict=_differences(form, saved)
            ), 409
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc)
            return render_template("admin/user_edit.html", form=form, user=user), 422
        db.session.commit()
        flash(_("%(name)s is saved.", name=user.name), "success")
        return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_edit.html", form=form, user=user), status


@bp.post("/users/<int:user_id>/invite")
@role_required(Role.ADMIN)
def resend_invitation(user_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    send_invitation(user)
    db.session.commit()
    flash(_("A new invitation is on its way to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/reset-password")
@role_required(Role.ADMIN)
def reset_password(user_id: int) -> str:
    user = db.get_or_404(User, user_id)
    if not is_confirmed():
        return ask_first(
            heading=_("Replace the password of %(name)s?", name=user.name),
            what=[_("Their current password stops working and every session of theirs ends.")],
            confirm_label=_("Yes, replace it"),
            back=url_for("admin.edit_user", user_id=user.id),
        )
    password = generate_password()
    accounts.set_password(db.session, user, password)
    db.session.commit()
    return render_template("admin/user_created.html", user=user, password=password, reset=True)


def _differences(mine: EditUserForm, saved: EditUserForm) -> list[tuple[str, str, str]]:
    """(label, yours, saved) for each field where a stale edit differs from the saved record."""
    rows = []
    for name in ("name", "role", "time_zone", "is_active"):
        yours, theirs = mine[name].data, saved[name].data
        if yours != theirs:
            rows.append((mine[name].label.text, _shown(yours), _shown(theirs)))
    return rows


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
