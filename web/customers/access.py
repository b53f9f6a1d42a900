"""Loading a customer for a page: 404 when missing, and only the trash pages see deleted ones."""

from collections.abc import Sequence
from typing import Any

from models import Customer
from web.trash import get_or_404


def get_customer_or_404(
    customer_id: int, *, deleted: bool | None = False, options: Sequence[Any] = ()
) -> Customer:
    """`deleted=False`: live only; `True`: trashed only; `None`: either. `options`: loader
    options (eager loads) for the query that loads it."""
    return get_or_404(Customer, customer_id, deleted=deleted, options=options)
