"""New and edit pages for a versioned record with custom fields (customers, organisations):
every error at its field (422), nothing half-saved, and a stale edit merged: the fields this
editor changed apply over what others saved meanwhile (web/stale_merge.py); only fields both
changed are a conflict (409), shown side by side with who changed them and when. A blueprint
declares one `EditPages` and routes to it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from web import stale_merge
from web.clocks import current_clock
from web.extensions import db
from web.forms import int_or_zero, shown_value
from web.record_words import in_words
from workflows.platform.errors import StaleEdit, ValidationFailed

Page = Response | str | tuple[str, int]

# One sentence per kind of record (a noun is not put into a sentence: other languages inflect).
SAME_MOMENT = {
    "customer": _l("Someone saved this customer at the same moment."),
    "organisation": _l("Someone saved this organisation at the same moment."),
    "record": _l("Someone saved this record at the same moment."),
}


def _nothing(*_: Any) -> Any:
    return None


def _no_context(_: FlaskForm) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class EditPages:
    """What differs between records; the flow is the same.

    `prepare(form)` reads inputs written after the record itself (it may add field errors), and
    `finish(row, prepared)` applies them inside the same unit of work."""

    noun: str  # "customer": the template variable and the words of the messages
    template: str
    show_endpoint: str
    id_arg: str
    profile_fields: tuple[str, ...]
    build_form: Callable[..., tuple[FlaskForm, list[Any]]]
    load: Callable[[FlaskForm, Any, list[Any]], None]
    data_of: Callable[[FlaskForm, list[Any]], dict[str, Any]]
    field_for_error: Callable[[FlaskForm, str], Any]
    custom_fields_of: Callable[[FlaskForm, list[Any]], list[Any]]
    get_or_404: Callable[..., Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    prepare: Callable[[FlaskForm], Any] = _nothing
    finish: Callable[[Any, Any], None] = _nothing
    context: Callable[[FlaskForm], dict[str, Any]] = _no_context

    def new(self) -> Page:
        form, definitions = self.build_form(db.session)
        if request.method == "GET":
            form.owner_id.data = str(current_user.id)
            return self.render(form, definitions, None)
        return self._save(form, definitions, None)

    def edit(self, row_id: int) -> Page:
        row = self.get_or_404(row_id)
        form, definitions = self.build_form(db.session)
        if request.method == "GET":
            self.load(form, row, definitions)
            return self.render(form, definitions, row)
        return self._save(form, definitions, row)

    def _save(self, form: FlaskForm, definitions: list[Any], row: Any) -> Page:
        if not form.validate_on_submit():
            return self.render(form, definitions, row), 422
        prepared = self.prepare(form)
        actor, clock = current_user.id, current_clock()
        shown = row  # a new record that failed is shown as the empty form it was
        try:
            data = self.data_of(form, definitions)
            if row is None:
                row = self.create(db.session, data, actor_id=actor, clock=clock)
            else:
                version = int_or_zero(form.version.data)
                self.update(
                    db.session, row, data, expected_version=version, actor_id=actor, clock=clock
                )
            self.finish(row, prepared)
            if any(field.errors for field in form):
                db.session.rollback()
                return self.render(form, definitions, shown), 422
            db.session.commit()
        except (StaleEdit, StaleDataError) as exc:
            # StaleDataError: another save passed the version check at the same moment.
            db.session.rollback()
            if shown is not None and not getattr(form, "_merged", False):
                return self._merge(form, definitions, row, exc)
            return self._conflict(form, definitions, row, exc)
        except ValidationFailed as exc:
            db.session.rollback()
            self.attach_errors(form, exc)
            return self.render(form, definitions, shown), 422
        kept = getattr(form, "_kept_theirs", None)
        if kept:
            flash(
                _(
                    "%(name)s is saved; what someone else changed meanwhile is kept: %(fields)s.",
                    name=row.name,
                    fields=kept,
                ),
                "success",
            )
        else:
            flash(_("%(name)s is saved.", name=row.name), "success")
        return redirect(url_for(self.show_endpoint, **{self.id_arg: row.id}))

    def _names(self, form: FlaskForm, definitions: list[Any]) -> list[str]:
        return [*self.profile_fields, *(f.name for f in self.custom_fields_of(form, definitions))]

    def _merge(self, mine: FlaskForm, definitions: list[Any], row: Any, exc: Exception) -> Page:
        """Apply only what this editor changed over the saved version, or show the fields both
        changed. A form without its originals (an old page) falls back to comparing them all."""
        names = self._names(mine, definitions)
        originals = stale_merge.originals_of(mine, names)
        if not originals:
            return self._conflict(mine, definitions, row, exc)
        row = self.get_or_404(row.id, deleted=None)
        saved, _definitions = self.build_form(db.session, formdata=None, meta={"csrf": False})
        self.load(saved, row, definitions)
        merged = stale_merge.merge(mine, saved, names, originals)
        mine.version.data = str(row.version)
        if merged.both:
            return self._conflict(mine, definitions, row, exc, only=merged.both, saved=saved)
        mine._merged = True  # type: ignore[attr-defined]  # a second race: a plain conflict
        mine._kept_theirs = ", ".join(  # type: ignore[attr-defined]
            str(mine[n].label.text) for n in names if n in merged.theirs
        )
        return self._save(mine, definitions, row)

    def _conflict(
        self,
        mine: FlaskForm,
        definitions: list[Any],
        row: Any,
        exc: Exception,
        *,
        only: set[str] | None = None,
        saved: FlaskForm | None = None,
    ) -> tuple[str, int]:
        """Keep the editor's entries in the form (now against the saved version, so saving
        again applies them) and show the saved version beside them."""
        row = self.get_or_404(row.id, deleted=None)
        if saved is None:
            saved, _definitions = self.build_form(db.session, formdata=None, meta={"csrf": False})
            self.load(saved, row, definitions)
        names = [n for n in self._names(mine, definitions) if only is None or n in only]
        who = stale_merge.who_changed(db.session, self.noun, row.id, names, current_clock().now())
        rows = []
        for field in (mine[n] for n in names):
            theirs, yours = shown_value(saved[field.name]), shown_value(field)
            rows.append((field.label.text, theirs, yours, theirs != yours, who[field.name]))
        mine.version.data = str(row.version)
        # Saving again applies the editor's values over the saved version: its values are now
        # the form's originals.
        originals = stale_merge.originals_from(saved, self._names(mine, definitions))
        same_moment = SAME_MOMENT.get(self.noun, SAME_MOMENT["record"])
        reason = exc if isinstance(exc, StaleEdit) else same_moment
        if only is not None:
            reason = ngettext(
                "Someone else changed the same field.",
                "Someone else changed the same fields.",
                len(only),
            )
        flash(
            _("%(reason)s Nothing of yours is lost: compare, then save again.", reason=reason),
            "error",
        )
        return self.render(mine, definitions, row, conflict=rows, originals=originals), 409

    def attach_errors(self, form: FlaskForm, exc: ValidationFailed) -> None:
        for key, messages in exc.errors.items():
            field = self.field_for_error(form, key)
            messages = [in_words(m) for m in messages]
            if field is not None:
                field.errors = [*field.errors, *messages]
            else:
                flash(" ".join(messages), "error")

    def render(
        self,
        form: FlaskForm,
        definitions: list[Any],
        row: Any,
        conflict: list[Any] | None = None,
        originals: list[tuple[str, str]] | None = None,
    ) -> str:
        if originals is None and row is not None:
            # The values this page shows as loaded (a posted form keeps the ones it came with).
            names = self._names(form, definitions)
            posted = stale_merge.originals_of(form, names) if request.method == "POST" else {}
            originals = (
                [(stale_merge.PREFIX + n, posted[n]) for n in names]
                if posted
                else stale_merge.originals_from(form, names)
            )
        return render_template(
            self.template,
            form=form,
            custom_fields=self.custom_fields_of(form, definitions),
            conflict=conflict,
            originals=originals or [],
            **{self.noun: row},
            **self.context(form),
        )
