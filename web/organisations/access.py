"""Loading an organisation for a page: 404 when missing, and only the trash sees deleted ones."""

from models import Organisation
from web.trash import get_or_404


def get_organisation_or_404(organisation_id: int, *, deleted: bool | None = False) -> Organisation:
    """`deleted=False`: live only; `True`: trashed only; `None`: either."""
    return get_or_404(Organisation, organisation_id, deleted=deleted)
