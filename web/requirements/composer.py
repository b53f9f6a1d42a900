"""The requirement page's composer: a reply to the customer (optionally "send and …" a
trigger, in the same transaction) or an internal note."""

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models import Role
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.reply_files import reply_file, reply_files
from web.requirements import bp
from web.requirements.access import everyone_sees_everything, get_requirement_or_404
from web.requirements.show import GUARDED_FIELD, render_page, trigger_label
from workflows.channels import replies
from workflows.channels.inbound_parse import ParsedAttachment
from workflows.platform.errors import ValidationFailed
from workflows.tracking.requirements import TransitionRefused

Page = Response | str | tuple[str, int]
REPLY_FORM = ("body", "body_format", "to", "cc", "then", "resolution_note")
NOTE_FORM = ("body", "body_format")


def _form(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


def _uploads() -> list[ParsedAttachment]:
    """The files of the reply form; a file input left empty sends one nameless, empty part.
    Each is read to one byte over the total cap at most: enough to refuse it."""
    cap = int(current_app.config["REPLY_ATTACHMENTS_MAX_TOTAL_BYTES"]) + 1
    return [
        reply_file(f.filename, f.mimetype, f.stream.read(cap))
        for f in request.files.getlist("attachments")
        if f.filename
    ]


@bp.post("/requirements/<int:requirement_id>/replies")
@role_required(Role.AGENT)
def reply(requirement_id: int) -> Page:
    req = get_requirement_or_404(requirement_id)
    values = _form(REPLY_FORM)
    data = {k: v for k, v in values.items() if v.strip()}
    uploads = _uploads()
    values["had_files"] = "1" if uploads else ""  # the page asks for them again
    try:
        replies.send_reply(
            db.session,
            req,
            data,
            actor=current_user._get_current_object(),
            clock=current_clock(),
            files=reply_files(uploads),
        )
    except (ValidationFailed, TransitionRefused) as exc:
        db.session.rollback()  # a refused trigger takes the reply back with it
        if isinstance(exc, TransitionRefused) and exc.reasons:  # a guard said no: at its field
            note = GUARDED_FIELD.get(exc.trigger) == "note"
            errors = {"resolution_note" if note else "then": exc.reasons}
        elif isinstance(exc, TransitionRefused):
            errors = {"then": [str(exc)]}
        else:
            errors = exc.errors
        req = get_requirement_or_404(requirement_id)
        return render_page(req, composer_values=values, composer_errors=errors), 422
    db.session.commit()
    then = values["then"].strip()
    if then:
        flash(_("Reply queued · %(action)s.", action=trigger_label(then)), "success")
    else:
        flash(_("Reply queued."), "success")
    return redirect(
        url_for("requirements.show", requirement_id=requirement_id, _anchor="thread"), 303
    )


@bp.post("/requirements/<int:requirement_id>/notes")
@role_required(Role.AGENT)
def note(requirement_id: int) -> Page:
    req = get_requirement_or_404(requirement_id)
    values = _form(NOTE_FORM)
    data = {k: v for k, v in values.items() if v.strip()}
    try:
        replies.add_note(
            db.session,
            req,
            data,
            actor=current_user._get_current_object(),
            clock=current_clock(),
            everyone_sees_everything=everyone_sees_everything(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        req = get_requirement_or_404(requirement_id)
        page = render_page(req, composer_values=values, composer_errors=exc.errors, mode="note")
        return page, 422
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(
        url_for("requirements.show", requirement_id=requirement_id, _anchor="thread"), 303
    )
