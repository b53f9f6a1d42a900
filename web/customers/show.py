"""The customer 360 page and its quick "log a call / visit / note" form."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from models import (
    Attachment,
    Channel,
    CommunicationChannel,
    Customer,
    Direction,
    Requirement,
    Role,
    TransactionKind,
    TransactionStatus,
    User,
)
from web.access import role_required
from web.clocks import current_clock
from web.customers import bp
from web.customers.access import get_customer_or_404
from web.extensions import db
from web.privacy.reads import note_access
from web.record_words import capitalised
from web.requirements.access import readable, readable_communications
from web.templating import viewer_zone
from workflows.customers import custom_fields, timelines, transactions
from workflows.outreach import enrolments as outreach_enrolments
from workflows.outreach import strategies as outreach_strategies
from workflows.platform.errors import ValidationFailed
from workflows.tracking import conversations

PAGE_SIZE = 25
# What the page shows of the customer itself, in the query that loads it (two statements, not
# six lazy ones). A customer has a handful of each, so the joined rows stay few. Tags come apart:
# a LEFT JOIN through the link table is nested, and SQLite materialises it by scanning all tags.
PAGE_LOADS = (
    joinedload(Customer.stage),
    joinedload(Customer.organisation),
    joinedload(Customer.emails),
    joinedload(Customer.phones),
    joinedload(Customer.consents),
    selectinload(Customer.tags),
)
REQUIREMENTS_SHOWN = 10
QUICK_CHANNELS = (
    (CommunicationChannel.CALL, "c"),
    (CommunicationChannel.VISIT, "v"),
    (CommunicationChannel.NOTE, "n"),
    (CommunicationChannel.MEETING, "m"),
    (CommunicationChannel.EMAIL, "e"),
    (CommunicationChannel.SMS, "s"),
)
DEFAULT_CURRENCY = "EUR"
LOG_FIELDS = ("channel", "direction", "occurred_at", "duration_minutes", "subject", "body")


@bp.get("/<int:customer_id>")
@role_required(Role.AGENT)
def show(customer_id: int) -> str | Response:
    customer = get_customer_or_404(customer_id, deleted=None, options=PAGE_LOADS)
    if customer.deleted_at is not None and customer.merged_into_id is not None:
        flash(_("%(name)s was merged into this customer.", name=customer.name), "info")
        return redirect(url_for("customers.show", customer_id=customer.merged_into_id))
    note_access(customer_id, "view", via="page")
    return render_page(customer_id)


@bp.post("/<int:customer_id>/communications")
@role_required(Role.AGENT)
def log_communication(customer_id: int) -> Response | tuple[str, int]:
    customer = get_customer_or_404(customer_id)
    data = {f: request.form.get(f, "") for f in LOG_FIELDS}
    try:
        conversations.log_communication(
            db.session,
            customer,
            data,
            actor_id=current_user.id,
            clock=current_clock(),
            viewer_zone=viewer_zone().key,
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return render_page(customer_id, log_values=data, log_errors=exc.errors), 422
    db.session.commit()
    flash(_("%(channel)s logged.", channel=capitalised(data["channel"])), "success")
    return redirect(url_for("customers.show", customer_id=customer_id) + "#timeline")


def render_page(
    customer_id: int,
    log_values: dict[str, str] | None = None,
    log_errors: dict[str, list[str]] | None = None,
    tx_values: dict[str, str] | None = None,
    tx_errors: dict[str, list[str]] | None = None,
) -> str:
    """The 360 page; the quick-log and transaction forms keep what was typed, with errors."""

    customer = get_customer_or_404(customer_id, options=PAGE_LOADS)
    kind = request.args.get("kind", "")
    kind = kind if kind in timelines.TIMELINE_KINDS else ""
    channel = request.args.get("channel", "")
    channel = channel if channel in set(CommunicationChannel) else ""
    if channel:
        kind = "communication"
    page = timelines.timeline(
        db.session,
        customer.id,
        requirements_readable=readable(),
        communications_readable=readable_communications(),
        kinds={kind} if kind else None,
        channels={channel} if channel else None,
        limit=PAGE_SIZE,
        before=request.args.get("before") or None,
    )
    definitions = custom_fields.definitions(db.session, "customer")
    author_ids = {i.record.author_id for i in page.items if i.kind == "communication"}
    author_ids |= {i.record.actor_id for i in page.items if i.kind in ("event", "requirement")}
    author_ids |= {customer.owner_id}
    authors = dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(author_ids))).all()
    )
    money = transactions.sales_summary(db.session, customer.id)
    files: dict[int, list[Attachment]] = {}
    communication_ids = [i.record.id for i in page.items if i.kind == "communication"]
    for attachment in db.session.scalars(
        select(Attachment)
        .where(Attachment.communication_id.in_(communication_ids))
        .order_by(Attachment.id)
    ):
        files.setdefault(attachment.communication_id, []).append(attachment)
    return render_template(
        "customers/show.html",
        customer=customer,
        attachments=files,
        custom_values=[(d, (customer.custom or {}).get(d.key)) for d in definitions],
        consents=[(c, customer.consent_for(c)) for c in Channel],
        lifetime_value=money.lifetime_value,
        last_purchase_on=money.last_purchase_on,
        transactions=transactions.list_transactions(db.session, customer.id, limit=10),
        enrolments=outreach_enrolments.of_customer(db.session, customer.id),
        page=page,
        strategy_names=outreach_strategies.names_of(db.session, page.items),
        authors=authors,
        kind=kind,
        channel=channel,
        channels=list(CommunicationChannel),
        quick_channels=QUICK_CHANNELS,
        directions=list(Direction),
        deleted_communication=request.args.get("deleted", type=int),
        log_values=log_values or {"channel": "call"},
        log_errors=log_errors or {},
        tx_values=tx_values or _transaction_defaults(money.last_currency),
        tx_errors=tx_errors or {},
        transaction_kinds=list(TransactionKind),
        transaction_statuses=list(TransactionStatus),
        viewer_zone=viewer_zone().key,
        requirements=db.session.scalars(
            select(Requirement)
            .where(Requirement.customer_id == customer.id, readable())
            .order_by(Requirement.created_at.desc(), Requirement.id.desc())
            .limit(REQUIREMENTS_SHOWN)
        ).all(),
    )


def _transaction_defaults(last_currency: str | None) -> dict[str, str]:
    """A fresh form: today in the viewer's zone, and the currency this customer last used."""
    return {
        "kind": TransactionKind.ORDER.value,
        "status": TransactionStatus.COMPLETED.value,
        "currency": last_currency or DEFAULT_CURRENCY,
        "occurred_on": current_clock().now().astimezone(viewer_zone()).date().isoformat(),
    }
