"""The customer list: search as you type, filters, sorting and keyset "Next" pages. The same
view serves the whole page and, to fetch requests, only the results fragment."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import LifecycleStage, Role, Tag, User
from web.access import role_required
from web.customers import bp, organisations
from web.extensions import db
from web.record_words import stage_choices
from web.templating import viewer_zone
from workflows.customers.queries import SORTS, CustomerFilter, list_customers
from workflows.platform.errors import ValidationFailed

PAGE_SIZE = 25
SORT_LABELS = {
    "relevance": _l("Best match"),
    "name": _l("Name A-Z"),
    "-name": _l("Name Z-A"),
    "-created_at": _l("Newest"),
    "created_at": _l("Oldest"),
    "-last_contacted_at": _l("Recently contacted"),
    "last_contacted_at": _l("Longest without contact"),
}


def _int(name: str) -> int | None:
    return request.args.get(name, type=int)


def _day(name: str, errors: dict[str, list[str]], *, end: bool = False) -> datetime | None:
    """The start of a date in the viewer's zone, as UTC; `end`: the start of the next day."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(name, []).append("Enter a date as YYYY-MM-DD.")
        return None
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time(), tzinfo=viewer_zone()).astimezone(UTC)


def filter_from_args(errors: dict[str, list[str]]) -> CustomerFilter:
    """The filter the query string asks for (the list page, and segments saved from it)."""
    return CustomerFilter(
        q=request.args.get("q", "").strip() or None,
        owner_id=_int("owner"),
        tag=request.args.get("tag", "").strip() or None,
        stage=request.args.get("stage", "").strip() or None,
        organisation_id=_organisation_id(errors),
        created_from=_day("created_from", errors),
        created_to=_day("created_to", errors, end=True),
        last_contacted_from=_day("contacted_from", errors),
        last_contacted_to=_day("contacted_to", errors, end=True),
    )


def _organisation_id(errors: dict[str, list[str]]) -> int | None:
    """From the drop-down (an id) or, with many organisations, the name box."""
    if ident := _int("organisation"):
        return ident
    name = request.args.get("organisation_name", "").strip()
    if not name:
        return None
    try:
        return organisations.find_by_name(db.session, name)
    except ValueError as exc:
        errors.setdefault("organisation_name", []).append(str(exc))
        return None


@bp.get("")
@role_required(Role.AGENT)
def index() -> tuple[str, int] | str:
    errors: dict[str, list[str]] = {}
    flt = filter_from_args(errors)
    sort = request.args.get("sort") or None
    page = None
    if not errors:
        try:
            page = list_customers(
                db.session,
                flt,
                sort=sort if sort in SORTS else None,
                limit=PAGE_SIZE,
                cursor=request.args.get("cursor") or None,
            )
        except ValidationFailed as exc:
            errors = exc.errors
    context: dict[str, Any] = {
        "page": page,
        "errors": errors,
        "args": request.args,
        "filtered": any(v for k, v in request.args.items() if k not in ("sort", "cursor")),
        "owners": {},
    }
    if page is not None:
        owner_ids = {c.owner_id for c in page.items}
        context["owners"] = dict(
            db.session.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all()
        )
    status = 422 if errors else 200
    if request.headers.get("X-Requested-With") == "fetch":
        return render_template("customers/_results.html", **context), status
    return render_template("customers/index.html", **context, **_choices()), status


def _choices() -> dict[str, Any]:
    session = db.session
    return {
        "owner_choices": session.execute(
            select(User.id, User.name).where(User.is_active).order_by(User.name)
        ).all(),
        "stage_choices": stage_choices(
            session.execute(
                select(LifecycleStage.key, LifecycleStage.name)
                .where(LifecycleStage.is_active)
                .order_by(LifecycleStage.position)
            )
        ),
        "organisation_choices": organisations.options(session),
        "tag_choices": list(session.scalars(select(Tag.name).order_by(Tag.name))),
        "sort_labels": SORT_LABELS,
    }
