"""`/customers/export.csv`: every customer matching the list's filters, streamed page by page."""

import csv
import io
import re
from collections.abc import Iterator

from flask import Response, request, stream_with_context
from sqlalchemy import select

from models import Customer, LifecycleStage, Role, User
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.imports import bp
from workflows.customers.queries import CustomerFilter, list_customers

PAGE_SIZE = 200
NUMBERS_RE = re.compile(r"[+-][\d\s,.+()-]*")
COLUMNS = (
    "id",
    "name",
    "emails",
    "phones",
    "organisation",
    "owner",
    "stage",
    "tags",
    "time_zone",
    "language",
    "address_line",
    "district",
    "city",
    "region",
    "postal_code",
    "country",
    "notes",
    "custom",
    "created_at",
    "last_contacted_at",
)


def _filter() -> CustomerFilter:
    args = request.args
    return CustomerFilter(
        q=args.get("q", "").strip() or None,
        owner_id=args.get("owner", type=int),
        tag=args.get("tag", "").strip() or None,
        stage=args.get("stage", "").strip() or None,
        organisation_id=args.get("organisation", type=int),
    )


def _line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def csv_line(values: list[str]) -> str:
    """One CSV line of cells escaped as `_cell` does (the bad-rows download uses it too)."""
    return _line([_cell(v) for v in values])


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ runs as a formula in spreadsheets (CSV injection); phone
    # numbers and amounts (+49 151…, -12.50) stay as they are, being harmless numbers.
    risky = text[:1] in ("=", "@", "\t", "\r") or (
        text[:1] in ("+", "-") and not NUMBERS_RE.fullmatch(text)
    )
    return "'" + text if risky else text


def _row(customer: Customer, owners: dict[int, str], stages: dict[int, str]) -> list[str]:
    custom = ";".join(f"{k}={v}" for k, v in sorted((customer.custom or {}).items()))
    values: list[object] = [
        customer.id,
        customer.name,
        ", ".join(e.email for e in customer.emails),
        ", ".join(p.e164 for p in customer.phones),
        customer.organisation.name if customer.organisation else "",
        owners.get(customer.owner_id or 0, ""),
        stages.get(customer.stage_id or 0, ""),
        ", ".join(t.name for t in customer.tags),
        customer.time_zone,
        customer.language,
        customer.address_line,
        customer.district,
        customer.city,
        customer.region,
        customer.postal_code,
        customer.country,
        customer.notes,
        custom,
        customer.created_at.isoformat(),
        customer.last_contacted_at.isoformat() if customer.last_contacted_at else "",
    ]
    return [_cell(v) for v in values]


def generate(flt: CustomerFilter) -> Iterator[str]:
    """The header, then one page of customers at a time (keyset cursor), so memory stays flat."""
    session = db.session
    owners = dict(session.execute(select(User.id, User.email)).all())
    stages = dict(session.execute(select(LifecycleStage.id, LifecycleStage.key)).all())
    yield _line(list(COLUMNS))
    cursor = None
    while True:
        page = list_customers(session, flt, sort="name", limit=PAGE_SIZE, cursor=cursor)
        yield "".join(_line(_row(c, owners, stages)) for c in page.items)
        session.expunge_all()  # keep the identity map from growing with the export
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


@bp.get("/customers/export.csv")
@role_required(Role.AGENT)
def export_csv() -> Response:
    flt = _filter()
    # Validate the filter before the 200 goes out: a bad stage raises ValidationFailed here.
    list_customers(db.session, flt, sort="name", limit=1)
    filename = f"customers-{current_clock().now():%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(generate(flt)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
