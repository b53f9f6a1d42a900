"""Invitations: the email with a set-password link (written to the outbox, sent by the worker)
and the public page the link opens. The token rules live in workflows/platform/invitations."""

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from models import User
from web.auth.views import bp
from web.clocks import current_clock
from web.extensions import db
from web.forms import attach_errors
from web.i18n import user_locale
from workflows.platform import invitations, outbox
from workflows.platform.errors import ValidationFailed


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat it"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


def settings() -> invitations.InvitationSettings:
    return invitations.InvitationSettings(
        secret_key=current_app.config["SECRET_KEY"],
        expiry=timedelta(hours=float(current_app.config["INVITATION_EXPIRY_HOURS"])),
    )


def send_invitation(user: User) -> None:
    """Write the invitation email to the outbox (the worker sends it after commit). Each send
    is a new message with a fresh link: a resend must not be swallowed as a duplicate."""
    clock = current_clock()
    token = invitations.token_for(settings(), user, clock=clock)
    link = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "auth.accept_invitation", token=token
    )
    now = clock.now()
    with force_locale(user_locale(user)):  # the invited user's language, not the admin's
        subject = render_template("auth/invitation_subject.txt", user=user).strip()
        body = render_template(
            "auth/invitation_body.txt",
            user=user,
            link=link,
            hours=current_app.config["INVITATION_EXPIRY_HOURS"],
        )
    outbox.enqueue_email(
        db.session,
        idempotency_key=f"invitation:{user.id}:{now.timestamp()}",
        cause="invitation",
        to_address=user.email,
        subject=subject,
        body_text=body,
        headers=outbox.automatic(),
        clock=clock,
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response | str | tuple[str, int]:
    clock = current_clock()
    try:
        user = invitations.user_for(db.session, settings(), token, clock=clock)
    except invitations.InvitationRefused as exc:
        # 410 for a link that was good once (expired, used), 404 for one that never was.
        status = 404 if exc.reason == "invalid" else 410
        return render_template("auth/invitation_refused.html", reason=exc.reason), status
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            invitations.accept(db.session, settings(), token, form.password.data or "", clock=clock)
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/invitation.html", form=form, user=user), status
