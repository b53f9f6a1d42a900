"""The signed-in user's own settings: profile and time zone, password, API tokens."""

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from models import ApiToken
from web.account.forms import PasswordForm, ProfileForm, TokenForm
from web.clocks import current_clock
from web.confirmations import ask_first, is_confirmed
from web.extensions import db, limiter
from workflows.platform import accounts
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.passwords import verify_password

bp = Blueprint("account", __name__, url_prefix="/account")


def _render(**forms: object) -> str:
    forms.setdefault("profile", ProfileForm(obj=current_user, prefix="profile"))
    forms.setdefault("password", PasswordForm(prefix="password"))
    forms.setdefault("token", TokenForm(prefix="token"))
    tokens = sorted(current_user.api_tokens, key=lambda t: t.created_at, reverse=True)
    return render_template("account/show.html", tokens=tokens, **forms)


@bp.get("")
@login_required
def show() -> str:
    return _render()


@bp.post("/profile")
@login_required
def update_profile() -> Response | tuple[str, int]:
    form = ProfileForm(prefix="profile")
    if form.validate_on_submit():
        try:
            accounts.update_user(
                db.session,
                current_user,
                expected_version=int(form.version.data or 0),
                name=form.name.data or "",
                role=current_user.role,
                time_zone=form.time_zone.data or "UTC",
                is_active=True,
            )
            accounts.set_language(db.session, current_user, form.language.data)
        except StaleEdit as exc:
            db.session.rollback()
            form.version.errors = [str(exc)]
            flash(
                _(
                    "%(problem)s Your entries are kept below; save again to apply them.",
                    problem=exc,
                ),
                "error",
            )
            form.version.data = str(current_user.version)
            return _render(profile=form), 409
        db.session.commit()
        refresh()  # the page after the redirect is in the language just chosen
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("account.show"))
    return _render(profile=form), 422


def _password_key() -> str:
    return f"password-change:{getattr(current_user, 'id', request.remote_addr)}"


def _wrong_current_password(response: Response) -> bool:
    return response.status_code == 422


@bp.post("/password")
@login_required
@limiter.limit(
    lambda: current_app.config["PASSWORD_CHANGE_LIMIT"],
    key_func=_password_key,
    deduct_when=_wrong_current_password,
    scope="password-change",
)
def change_password() -> Response | tuple[str, int]:
    form = PasswordForm(prefix="password")
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data or ""):
            form.current_password.errors.append(_("This is not your current password."))
        else:
            try:
                accounts.set_password(db.session, current_user, form.new_password.data or "")
            except ValidationFailed as exc:
                form.new_password.errors.extend(exc.errors.get("password", []))
            else:
                db.session.commit()
                login_user(
                    current_user._get_current_object()
                )  # the session id includes the password digest
                flash(_("Password changed; other sessions are signed out."), "success")
                return redirect(url_for("account.show"))
    return _render(password=form), 422


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> Response:
    """End every session of this user: other browsers, copied cookies and remember-me."""
    accounts.end_sessions(db.session, current_user)
    db.session.commit()
    logout_user()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/tokens")
@login_required
def create_token() -> Response | tuple[str, int] | str:
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return _render(token=form), 422
    issued = accounts.issue_token(
        db.session, current_user, form.name.data or "", clock=current_clock()
    )
    db.session.commit()
    return render_template("account/token_created.html", token=issued.token, secret=issued.secret)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response | str:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if not is_confirmed():
        return ask_first(
            heading=_("Revoke the token “%(name)s”?", name=token.name),
            what=[_("Scripts using it stop working at once; a revoked token cannot come back.")],
            confirm_label=_("Yes, revoke it"),
            back=url_for("account.show"),
        )
    accounts.revoke_token(db.session, token, clock=current_clock())
    db.session.commit()
    flash(_("Token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("account.show"))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
