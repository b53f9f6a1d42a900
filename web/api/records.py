"""A versioned record's endpoints from one declaration: read with an ETag (304 when unchanged),
PATCH and DELETE with If-Match (428 without it, 412 when stale), and restore from the trash.

    records.register(blp, records.Record(
        name="Organisation", path="/organisations/<int:organisation_id>",
        schema=OrganisationSchema, in_schema=OrganisationInSchema, load=_get_or_404,
        update=organisations.update_organisation, delete=organisations.delete_organisation,
        restore=organisations.restore_organisation,
    ))

gives `OrganisationById` (GET, PATCH, DELETE) and `OrganisationRestore` (POST …/restore)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Role
from web.access import acting_user
from web.api.conditional import IF_MATCH_DOC, expected_version, require_role, with_etag
from web.clocks import current_clock
from web.extensions import db

DOCS = {
    "get": "",
    "patch": "Change the fields sent; needs If-Match.",
    "delete": "Move to the trash (supervisors and admins); needs If-Match.",
    "restore": "Bring it back from the trash (supervisors and admins).",
}


@dataclass(frozen=True)
class Record:
    """How the API reads and writes one kind of record.

    `load(id, deleted=…)` returns the row or aborts 404 (`deleted`: False live only, True trashed
    only, None either); `update(session, row, data, *, expected_version, actor_id, clock, …)`,
    `delete(session, row, *, actor_id, clock)` and `restore(…)` are the workflows' writers."""

    name: str
    path: str
    schema: type[ma.Schema]
    in_schema: type[ma.Schema]
    load: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    restore: Callable[..., Any] | None = None
    read_deleted: bool | None = False
    update_options: Callable[[], dict[str, Any]] = dict
    on_read: Callable[[Any], None] | None = None  # e.g. note the read in an access log
    docs: Mapping[str, str] = field(default_factory=dict)
    # Who may DELETE (the workflow's `delete` may refuse more); records in a trash: supervisors.
    delete_role: Role = Role.SUPERVISOR

    def doc(self, method: str) -> str:
        return self.docs.get(method, DOCS[method])


def _row_id(ids: dict[str, int]) -> int:
    (row_id,) = ids.values()
    return row_id


def _documented(function: Callable[..., Any], doc: str) -> Callable[..., Any]:
    function.__doc__ = doc or None
    return function


def register(blp: Blueprint, record: Record) -> None:
    """Add `<name>ById` and, with a `restore`, `<name>Restore` to `blp`."""

    def get(self: MethodView, **ids: int) -> Any:
        row = record.load(_row_id(ids), deleted=record.read_deleted)
        if record.on_read is not None:
            record.on_read(row)
        return with_etag(row, row.version)

    def patch(self: MethodView, data: dict[str, Any], **ids: int) -> Any:
        row = record.load(_row_id(ids))
        record.update(
            db.session,
            row,
            data,
            expected_version=expected_version(row.version),
            actor_id=acting_user().id,
            clock=current_clock(),
            **record.update_options(),
        )
        db.session.commit()
        return with_etag(row, row.version)

    def delete(self: MethodView, **ids: int) -> None:
        require_role(record.delete_role)
        row = record.load(_row_id(ids))
        expected_version(row.version)
        record.delete(db.session, row, actor_id=acting_user().id, clock=current_clock())
        db.session.commit()

    by_id = {
        "get": blp.response(200, record.schema)(_documented(get, record.doc("get"))),
        "patch": blp.arguments(record.in_schema)(
            blp.response(200, record.schema)(
                blp.doc(parameters=[IF_MATCH_DOC])(_documented(patch, record.doc("patch")))
            )
        ),
        "delete": blp.response(204)(
            blp.doc(parameters=[IF_MATCH_DOC])(_documented(delete, record.doc("delete")))
        ),
    }
    blp.route(record.path)(type(f"{record.name}ById", (MethodView,), by_id))
    if record.restore is None:
        return
    restore_row = record.restore

    def restore(self: MethodView, **ids: int) -> Any:
        require_role(Role.SUPERVISOR)
        row = record.load(_row_id(ids), deleted=True)
        restore_row(db.session, row, actor_id=acting_user().id, clock=current_clock())
        db.session.commit()
        return with_etag(row, row.version)

    post = blp.response(200, record.schema)(_documented(restore, record.doc("restore")))
    restore_view = type(f"{record.name}Restore", (MethodView,), {"post": post})
    blp.route(f"{record.path}/restore")(restore_view)
