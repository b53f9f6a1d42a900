"""Editing a requirement's title, description, category and tags (and a sales opportunity's
amount, currency and expected close date) after opening it: through
`workflows.tracking.requirements.update_requirement` (permission, the version the editor saw,
an audit entry the requirement's history shows, the search document refreshed)."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from models import Role
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.forms import int_or_zero
from web.record_words import in_words
from web.requirements import bp
from web.requirements.access import get_requirement_or_404
from web.requirements.show import Page, render_page
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.tracking import opportunities, requirements

DETAIL_FIELDS = ("title", "description", "category", "tags", *opportunities.FIELDS)


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


@bp.post("/requirements/<int:requirement_id>/details")
@role_required(Role.AGENT)
def edit_details(requirement_id: int) -> Page:
    req = get_requirement_or_404(requirement_id)
    values = {f: request.form.get(f, "") for f in (*DETAIL_FIELDS, "version")}
    data = {
        "title": values["title"],
        "description": values["description"].strip() or None,
        "category": values["category"].strip() or None,
        "tags": split_tags(values["tags"]),
    }
    if opportunities.applies_to(req.workflow):
        data.update({field: values[field] for field in opportunities.FIELDS})
    try:
        changed = requirements.update_requirement(
            db.session,
            req,
            data,
            expected_version=int_or_zero(values["version"]),
            actor=current_user._get_current_object(),
            clock=current_clock(),
            check_category=True,
        )
        db.session.commit()
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        req = get_requirement_or_404(requirement_id)
        values["version"] = str(req.version)  # saving again applies what this editor typed
        errors = {
            "details": [
                _(
                    "Someone changed this requirement since you opened it. "
                    "Your text is kept; compare with the page and save again."
                )
            ]
        }
        return render_page(req, details_values=values, details_errors=errors), 409
    except ValidationFailed as exc:
        db.session.rollback()
        req = get_requirement_or_404(requirement_id)
        errors = {k: [in_words(m) for m in v] for k, v in exc.errors.items()}
        return render_page(req, details_values=values, details_errors=errors), 422
    flash(_("Saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("requirements.show", requirement_id=req.id), 303)
