from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user

from web.auth import backoff
from web.auth.forms import LoginForm
from web.clocks import current_clock
from web.extensions import db, limiter
from workflows.platform import accounts

bp = Blueprint("auth", __name__)

LOGIN_FAILED_STATUS = 401


def _login_failed(response: Response) -> bool:
    return response.status_code == LOGIN_FAILED_STATUS


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
    methods=["POST"],
    deduct_when=_login_failed,
    scope="login-ip",
)
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        wait = backoff.seconds_to_wait(email)
        if wait:  # even with the right password: otherwise the back-off would not slow guessing
            message = render_template("auth/backoff_wait.html", seconds=wait)
            form.password.errors.append(message)
            return render_template("auth/login.html", form=form), 429
        user = accounts.authenticate(
            db.session,
            form.email.data or "",
            form.password.data or "",
            clock=current_clock(),
        )
        if user is not None:
            backoff.succeeded(email)
            db.session.commit()
            login_user(user, remember=bool(form.remember.data))
            refresh()  # the signed-in user's language from here on
            flash(_("Welcome back, %(name)s.", name=user.name), "success")
            return redirect(_safe_next(request.args.get("next")))
        backoff.failed(email)
        form.password.errors.append(_("Wrong email or password."))
        return render_template("auth/login.html", form=form), LOGIN_FAILED_STATUS
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        # Server-side: every copy of this session's cookies (and the remember-me cookie) stops
        # working, not only the one this browser drops.
        accounts.end_sessions(db.session, current_user)
        db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
