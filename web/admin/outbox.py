from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import OutboxMessage, OutboxStatus, Role
from web import outbox_words
from web.access import role_required
from web.admin import bp
from web.admin.forms import TestEmailForm
from web.clocks import current_clock
from web.extensions import db
from web.mail import mail_domain
from workflows.platform import outbox as outbox_service

PAGE_SIZE = 50


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox() -> str:
    status = request.args.get("status", "")
    before = request.args.get("before", type=int)
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE + 1)
    if status in {s.value for s in OutboxStatus}:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    if before:
        query = query.where(OutboxMessage.id < before)
    rows = list(db.session.scalars(query))
    return render_template(
        "admin/outbox.html",
        messages=rows[:PAGE_SIZE],
        next_before=rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
        status=status,
        statuses=[s.value for s in OutboxStatus],
        form=TestEmailForm(),
        cause_words=outbox_words.cause_words,
        error_words=outbox_words.error_words,
    )


@bp.post("/outbox/<int:message_id>/retry")
@role_required(Role.ADMIN)
def retry_message(message_id: int) -> Response:
    row = db.get_or_404(OutboxMessage, message_id)
    outbox_service.retry(db.session, row, clock=current_clock())
    db.session.commit()
    flash(_("Message %(id)s will be sent again now.", id=row.id), "success")
    return redirect(request.referrer or url_for("admin.outbox"))


@bp.post("/outbox/test")
@role_required(Role.ADMIN)
def send_test_email() -> Response:
    form = TestEmailForm()
    if not form.validate_on_submit():
        flash(_("Enter a valid email address for the test."), "error")
        return redirect(url_for("admin.outbox"))
    clock = current_clock()
    now = clock.now()
    outbox_service.enqueue_email(
        db.session,
        idempotency_key=f"test-email:{now.timestamp()}",
        cause="admin:test-email",
        to_address=form.to_address.data or "",
        subject=_("Rapport test email"),
        body_text=(
            _(
                "This test was sent from %(url)s at %(time)s UTC.",
                url=current_app.config["BASE_URL"],
                time=now.strftime("%Y-%m-%d %H:%M:%S"),
            )
        ),
        clock=clock,
        domain=mail_domain(current_app.config),
    )
    db.session.commit()
    flash(_("Test email queued; it appears below once a worker sends it."), "success")
    return redirect(url_for("admin.outbox"))
