"""Loading a customer for a page: 404 when missing, and only the trash pages see deleted ones."""

from flask import abort

from models import Customer
from web.extensions import db


def get_customer_or_404(customer_id: int, *, deleted: bool | None = False) -> Customer:
    """`deleted=False`: live only; `True`: trashed only; `None`: either."""
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    if deleted is not None and (customer.deleted_at is not None) != deleted:
        abort(404)
    return customer
