"""Loading an organisation for a page: 404 when missing, and only the trash sees deleted ones."""

from flask import abort

from models import Organisation
from web.extensions import db


def get_organisation_or_404(organisation_id: int, *, deleted: bool | None = False) -> Organisation:
    """`deleted=False`: live only; `True`: trashed only; `None`: either."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    if deleted is not None and (organisation.deleted_at is not None) != deleted:
        abort(404)
    return organisation
