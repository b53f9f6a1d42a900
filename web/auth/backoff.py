"""Progressive back-off for sign-in per account, instead of a lockout.

A fixed "5 failures, then 15 minutes of 429" lets anyone lock the real owner out by typing
their address. Here the first `LOGIN_BACKOFF_AFTER` failures are free; after that each attempt
must wait twice as long as the last since the latest failure (1 s, 2 s, 4 s … up to
`LOGIN_BACKOFF_MAX_SECONDS`), which costs a guesser dearly and the owner a few seconds. When the
back-off starts, the owner is told by email (through the outbox), so a guessing attempt does
not go unnoticed. A success clears the count. State lives in Redis (expiring after a day)."""

from flask import current_app, render_template
from flask_babel import force_locale

from models import User
from web.clocks import current_clock
from web.extensions import db, redis_client
from web.i18n import user_locale
from workflows.platform import accounts, outbox

TTL_SECONDS = 24 * 3600


def _key(email: str) -> str:
    return "login-backoff:" + email.strip().lower()


def seconds_to_wait(email: str) -> int:
    """How long this account's next attempt must still wait (0: go ahead)."""
    state = redis_client(current_app).hgetall(_key(email))
    failures = int(state.get(b"failures", 0))
    free = int(current_app.config["LOGIN_BACKOFF_AFTER"])
    if failures < free:
        return 0
    delay = min(2 ** (failures - free), int(current_app.config["LOGIN_BACKOFF_MAX_SECONDS"]))
    waited = current_clock().now().timestamp() - float(state.get(b"last", 0))
    return max(0, int(delay - waited + 0.999))


def failed(email: str) -> None:
    """Count a failure; when the back-off starts, tell the account's owner."""
    key = _key(email)
    client = redis_client(current_app)
    pipe = client.pipeline()
    pipe.hincrby(key, "failures", 1)
    pipe.hset(key, "last", current_clock().now().timestamp())
    pipe.expire(key, TTL_SECONDS)
    failures = pipe.execute()[0]
    if failures == int(current_app.config["LOGIN_BACKOFF_AFTER"]):
        _tell_owner(email)


def succeeded(email: str) -> None:
    redis_client(current_app).delete(_key(email))


def _tell_owner(email: str) -> None:
    user = accounts.find_user_by_email(db.session, email)
    if not isinstance(user, User) or not user.is_active:
        return  # an unknown address: nobody to tell, and nothing to reveal
    clock = current_clock()
    now = clock.now()
    with force_locale(user_locale(user)):
        subject = render_template("auth/backoff_subject.txt").strip()
        body = render_template(
            "auth/backoff_body.txt", user=user, failures=current_app.config["LOGIN_BACKOFF_AFTER"]
        )
    outbox.enqueue_email(
        db.session,
        idempotency_key=f"login-backoff:{user.id}:{now:%Y%m%d%H}",
        cause="login-backoff",
        to_address=user.email,
        subject=subject,
        body_text=body,
        headers=outbox.automatic(),
        clock=clock,
    )
    db.session.commit()
