"""The organisation list (name search, "Next" pages) and the organisation page: details,
customers and the timeline over all of them."""

from flask import render_template, request
from sqlalchemy import select

from models import Customer, Organisation, Role, User
from web.access import role_required
from web.extensions import db
from web.organisations import bp
from web.organisations.access import get_organisation_or_404
from web.requirements.access import readable, readable_communications
from workflows.customers import custom_fields, organisations, timelines
from workflows.outreach import strategies as outreach_strategies

PAGE_SIZE = 25
TIMELINE_SIZE = 25


@bp.get("/")
@role_required(Role.AGENT)
def index() -> str:
    q = request.args.get("q", "").strip()
    after = request.args.get("after", type=int)
    query = select(Organisation).where(Organisation.deleted_at.is_(None))
    if q:
        query = query.where(organisations.name_matches(q))
    if after:
        last = db.session.get(Organisation, after)
        if last is not None:
            query = query.where(
                (Organisation.name > last.name)
                | ((Organisation.name == last.name) & (Organisation.id > last.id))
            )
    query = query.order_by(Organisation.name, Organisation.id).limit(PAGE_SIZE + 1)
    rows = list(db.session.scalars(query))
    return render_template(
        "organisations/index.html",
        organisations=rows[:PAGE_SIZE],
        next_after=rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
        q=q,
    )


@bp.get("/<int:organisation_id>")
@role_required(Role.AGENT)
def show(organisation_id: int) -> str:
    organisation = get_organisation_or_404(organisation_id)
    members = db.session.scalars(
        select(Customer)
        .where(Customer.organisation_id == organisation.id, Customer.deleted_at.is_(None))
        .order_by(Customer.name_sort, Customer.id)
    ).all()
    page = timelines.organisation_timeline(
        db.session,
        organisation.id,
        requirements_readable=readable(),
        communications_readable=readable_communications(),
        limit=TIMELINE_SIZE,
        before=request.args.get("before") or None,
    )
    user_ids = {i.record.author_id for i in page.items if i.kind == "communication"}
    user_ids |= {i.record.actor_id for i in page.items if i.kind in ("event", "requirement")}
    user_ids |= {organisation.owner_id}
    users = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
    definitions = custom_fields.definitions(db.session, "organisation")
    return render_template(
        "organisations/show.html",
        organisation=organisation,
        members=members,
        customer_names={c.id: c.name for c in members},
        custom_values=[(d, (organisation.custom or {}).get(d.key)) for d in definitions],
        page=page,
        strategy_names=outreach_strategies.names_of(db.session, page.items),
        users=users,
    )
