"""Upload a CSV, map its columns, dry-run it, start it and watch its progress."""

from typing import Any

from flask import Response as FlaskResponse
from flask import abort, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import ImportJob, Role
from web.access import role_required
from web.clocks import current_clock
from web.extensions import db
from web.imports import bp
from web.imports.export import csv_line
from web.record_words import stored_words
from workflows.customers import custom_fields, import_checks, imports
from workflows.platform.errors import ValidationFailed


def _job_or_404(job_id: int) -> ImportJob:
    job = db.get_or_404(ImportJob, job_id)
    if job.created_by_id != current_user.id and not current_user.has_role(Role.SUPERVISOR):
        abort(403, _("This import belongs to someone else."))
    return job


@bp.get("/imports")
@role_required(Role.AGENT)
def index() -> str:
    query = select(ImportJob).order_by(ImportJob.id.desc()).limit(20)
    if not current_user.has_role(Role.SUPERVISOR):
        query = query.where(ImportJob.created_by_id == current_user.id)
    return render_template("imports/index.html", jobs=list(db.session.scalars(query)), errors={})


@bp.post("/imports")
@role_required(Role.AGENT)
def upload() -> Response | tuple[str, int]:
    upload = request.files.get("file")
    user_id = current_user.id
    # Loading the user began this POST's transaction, which on SQLite holds the write lock:
    # end it before reading and parsing a file of up to 20 MB (seconds), so that the clock
    # and workers can write meanwhile. create_job opens a short one after its parse.
    db.session.commit()
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed.field("file", _("Choose a CSV file."))
        content = imports.decode(upload.read(imports.MAX_BYTES + 1))
        job = imports.create_job(
            db.session,
            filename=upload.filename,
            content=content,
            created_by_id=user_id,
            clock=current_clock(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("imports/index.html", jobs=[], errors=exc.errors), 422
    db.session.commit()
    return redirect(url_for("imports.show", job_id=job.id))


def _field_words() -> dict[str, str]:
    """The fields a column can feed, in the viewer's language (imports.FIELDS is marked N_)."""
    words = {key: _(label) for key, label in imports.FIELDS.items()}
    for definition in custom_fields.definitions(db.session, "customer"):
        words[f"custom:{definition.key}"] = _("Custom: %(label)s", label=definition.label)
    return words


def _mapping_context(job: ImportJob, **extra: Any) -> dict[str, Any]:
    header, rows = imports.preview(job.content)
    return {
        "job": job,
        "header": header,
        "preview": rows[:5],
        "choices": _field_words(),
        "modes": imports.MODES,
        "errors": {},
        "dry_run": job.dry_run,
        "dry_run_bad_rows": imports.bad_rows((job.dry_run or {}).get("errors", [])),
        **extra,
    }


@bp.get("/imports/<int:job_id>")
@role_required(Role.AGENT)
def show(job_id: int) -> str | Response:
    job = _job_or_404(job_id)
    if job.status != "draft":
        return redirect(url_for("imports.progress_page", job_id=job.id))
    return render_template("imports/mapping.html", **_mapping_context(job))


def _posted_mapping(job: ImportJob) -> tuple[dict[str, str], str]:
    header, _rows = imports.preview(job.content)
    mapping = {column: request.form.get(f"map-{i}", "") for i, column in enumerate(header)}
    return mapping, request.form.get("mode", "")


@bp.post("/imports/<int:job_id>")
@role_required(Role.AGENT)
def configure(job_id: int) -> Response | tuple[str, int]:
    """Save the mapping; then either queue its dry run (a worker checks every row, writing
    nothing but the result) or start the import."""
    job = _job_or_404(job_id)
    mapping, mode = _posted_mapping(job)
    try:
        imports.configure(db.session, job, mapping, mode)
    except ValidationFailed as exc:
        db.session.rollback()
        job = _job_or_404(job_id)
        return render_template(
            "imports/mapping.html", **_mapping_context(job, errors=exc.errors)
        ), 422
    if request.form.get("action") == "start":
        imports.start(db.session, job)
        db.session.commit()
        return redirect(url_for("imports.progress_page", job_id=job.id))
    import_checks.request(db.session, job, clock=current_clock())
    db.session.commit()
    return redirect(url_for("imports.show", job_id=job.id, _anchor="dry-run"))


@bp.get("/imports/<int:job_id>/bad_rows.csv")
@role_required(Role.AGENT)
def bad_rows_csv(job_id: int) -> FlaskResponse:
    """The dry run's bad rows with an `error` column, to fix and upload again."""
    job = _job_or_404(job_id)
    if not (job.dry_run or {}).get("errors"):
        abort(404, _("The last dry run found no bad rows."))
    rows = import_checks.bad_rows(job)
    stem = job.filename.rsplit(".", 1)[0] or "import"
    return FlaskResponse(
        stream_with_context(csv_line(cells) for cells in rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_safe(stem)}-bad-rows.csv"'},
    )


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:100]


@bp.get("/imports/<int:job_id>/progress")
@role_required(Role.AGENT)
def progress_page(job_id: int) -> str:
    job = _job_or_404(job_id)
    return render_template("imports/progress.html", job=job, progress=imports.progress(job))


@bp.get("/imports/<int:job_id>/status.json")
@role_required(Role.AGENT)
def status(job_id: int) -> Response:
    job = _job_or_404(job_id)
    progress = imports.progress(job)
    # The page's script shows each row's message as it is: in the reader's language here.
    progress["errors"] = [
        {"row": e.get("row"), "field": e.get("field"), "message": stored_words(e)}
        for e in progress["errors"]
    ]
    return jsonify({**progress, "dry_run": import_checks.progress(job)})
