"""Loading a customer for a page: 404 when missing, and only the trash pages see deleted ones."""

from models import Customer
from web.trash import get_or_404


def get_customer_or_404(customer_id: int, *, deleted: bool | None = False) -> Customer:
    """`deleted=False`: live only; `True`: trashed only; `None`: either."""
    return get_or_404(Customer, customer_id, deleted=deleted)
