"""What the customer and organisation pages share about soft-deleted records: loading one for a
page (404 when missing, and only the trash pages see deleted ones) and a page of the trash."""

from collections.abc import Sequence
from typing import Any, TypeVar

from flask import abort, request
from sqlalchemy import select

from web.extensions import db

T = TypeVar("T")
PAGE_SIZE = 50


def get_or_404(
    model: type[T], row_id: int, *, deleted: bool | None = False, options: Sequence[Any] = ()
) -> T:
    """`deleted=False`: live only; `True`: trashed only; `None`: either."""
    row = db.session.get(model, row_id, options=options)
    if row is None:
        abort(404)
    if deleted is not None and (row.deleted_at is not None) != deleted:  # type: ignore[attr-defined]
        abort(404)
    return row


def trash_page(model: type[Any]) -> dict[str, Any]:
    """The newest trashed rows before `?before=<id>`, and the id the next page starts before."""
    before = request.args.get("before", type=int)
    query = select(model).where(model.deleted_at.is_not(None))
    if before:
        query = query.where(model.id < before)
    rows = list(db.session.scalars(query.order_by(model.id.desc()).limit(PAGE_SIZE + 1)))
    return {
        "rows": rows[:PAGE_SIZE],
        "next_before": rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
    }
