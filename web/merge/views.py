from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from models import Customer, LifecycleStage, Organisation, Role, User
from web import history_words
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.merge import bp
from workflows.customers import merge


def _live(customer_id: int | None) -> Customer:
    customer = db.session.get(
        Customer,
        customer_id or 0,
        options=[selectinload(Customer.emails), selectinload(Customer.phones)],
    )
    if customer is None or customer.deleted_at is not None:
        abort(404)
    return customer


def _display(customer: Customer, field: str) -> str:
    """A field's value as people read it (names, not ids)."""
    if field.startswith("custom."):
        value: Any = (customer.custom or {}).get(field.removeprefix("custom."))
        return ", ".join(value) if isinstance(value, list) else str(value or "")
    value = getattr(customer, field)
    model = {"organisation_id": Organisation, "owner_id": User, "stage_id": LifecycleStage}.get(
        field
    )
    if model is not None and value is not None:
        row = db.session.get(model, value)
        return row.name if row is not None else f"#{value}"
    return "" if value is None else str(value)


@bp.get("")
@role_required(Role.SUPERVISOR)
def index() -> str:
    pairs = merge.find_duplicates(db.session)
    ids = {i for p in pairs for i in (p.first_id, p.second_id)}
    customers = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    return render_template("merge/index.html", pairs=pairs, customers=customers)


@bp.get("/merge")
@role_required(Role.SUPERVISOR)
def compare() -> str:
    a = _live(request.args.get("a", type=int))
    b = _live(request.args.get("b", type=int))
    if a.id == b.id:
        abort(404)
    fields = list(merge.CHOOSABLE)
    custom_keys = sorted(set(a.custom or {}) | set(b.custom or {}))
    fields += [f"custom.{k}" for k in custom_keys]
    differing = set(merge.differing_fields(a, b))
    rows = [
        {
            "field": f,
            "label": history_words.field_label(f),
            "a": _display(a, f),
            "b": _display(b, f),
            "differs": f in differing,
        }
        for f in fields
    ]
    return render_template("merge/compare.html", a=a, b=b, rows=rows)


@bp.post("/merge")
@role_required(Role.SUPERVISOR)
def merge_pair() -> Response:
    a = _live(request.form.get("a", type=int))
    b = _live(request.form.get("b", type=int))
    survivor_id = request.form.get("survivor", type=int)
    if survivor_id not in (a.id, b.id):
        abort(400, _("Choose which customer survives."))
    survivor, other = (a, b) if survivor_id == a.id else (b, a)
    fields = [*merge.CHOOSABLE, *(f"custom.{k}" for k in (a.custom or {}) | (b.custom or {}))]
    choices = {
        f: choice
        for f in fields
        if (choice := request.form.get(f"choice-{f}", type=int)) is not None
    }
    versions = {
        c.id: v for c in (a, b) if (v := request.form.get(f"version-{c.id}", type=int)) is not None
    }
    result = merge.merge_customers(
        db.session,
        survivor,
        other,
        choices=choices,
        expected_versions=versions,
        actor_id=current_user.id,
        clock=current_clock(),
    )
    db.session.commit()
    moved = ", ".join(f"{n} {t.replace('customer_', '')}" for t, n in sorted(result.moved.items()))
    flash(
        _(
            "Customer #%(merged)s merged into #%(survivor)s (moved %(moved)s).",
            merged=result.merged_id,
            survivor=result.survivor_id,
            moved=moved,
        ),
        "success",
    )
    return redirect(url_for("customers.show", customer_id=result.survivor_id))
