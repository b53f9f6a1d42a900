"""A customer's privacy actions: download everything held about them, set or lift a legal hold,
erase them (confirmed by typing the name; a worker does it, this page shows the progress and
then the certificate), and reveal masked contact points."""

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from models import ErasureJob, Role
from web.access import role_required
from web.clocks import current_clock
from web.customers.access import get_customer_or_404
from web.extensions import db
from web.inbound import blob_store
from web.privacy import bp
from web.privacy.masks import remember_reveal
from web.privacy.reads import write_now
from web.requirements.access import readable, readable_communications, reads_everything
from workflows.platform.errors import ValidationFailed
from workflows.privacy import erasure, exports


def export_response(customer_id: int, *, via: str) -> Response:
    """The archive as a download, logged in the access log in the same request. Complete for
    whoever reads every requirement; anyone else's leaves out the requirements (and the
    communications on them) that the read policy hides from them."""
    scope = (
        {}
        if reads_everything()
        else {
            "requirements_readable": readable(),
            "communications_readable": readable_communications(),
        }
    )
    archive = exports.export_archive(
        db.session,
        customer_id,
        clock=current_clock(),
        blobs=blob_store(current_app.config),
        **scope,
    )
    # End the reading transaction first: on SQLite a GET's read transaction cannot wait its
    # turn to become a writer (web/database.py), a fresh one can.
    db.session.rollback()
    write_now(customer_id, "export", via=via, detail=f"{len(archive)} bytes")
    db.session.commit()
    stamp = current_clock().now().strftime("%Y%m%d-%H%M%S")
    return Response(
        archive,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="customer-{customer_id}-{stamp}.zip"'
        },
    )


@bp.post("/customers/<int:customer_id>/export")
@role_required(Role.SUPERVISOR)
def export(customer_id: int) -> Response:
    get_customer_or_404(customer_id, deleted=None)
    return export_response(customer_id, via="page")


@bp.post("/customers/<int:customer_id>/reveal")
@role_required(Role.AGENT)
def reveal(customer_id: int) -> Response:
    get_customer_or_404(customer_id)
    write_now(customer_id, "reveal", via="page")
    db.session.commit()
    remember_reveal(customer_id)
    return redirect(url_for("customers.show", customer_id=customer_id))


@bp.post("/customers/<int:customer_id>/legal-hold")
@role_required(Role.SUPERVISOR)
def legal_hold(customer_id: int) -> Response:
    customer = get_customer_or_404(customer_id, deleted=None)
    try:
        if request.form.get("action") == "lift":
            erasure.lift_legal_hold(
                db.session, customer, actor_id=current_user.id, clock=current_clock()
            )
            message = _("Legal hold lifted.")
        else:
            erasure.set_legal_hold(
                db.session,
                customer,
                request.form.get("reason", ""),
                actor_id=current_user.id,
                clock=current_clock(),
            )
            message = _("Legal hold set: the customer cannot be erased until it is lifted.")
    except ValidationFailed as exc:
        db.session.rollback()
        flash(" ".join(str(m) for ms in exc.errors.values() for m in ms), "error")
        return redirect(url_for("privacy.confirm_erase", customer_id=customer_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("privacy.confirm_erase", customer_id=customer_id))


def _kept() -> list[str]:
    """What erasure keeps, in the viewer's language (`erasure.KEPT` is marked with N_)."""
    return [_(sentence) for sentence in erasure.KEPT]


@bp.get("/customers/<int:customer_id>/erase")
@role_required(Role.SUPERVISOR)
def confirm_erase(customer_id: int) -> str:
    customer = get_customer_or_404(customer_id, deleted=None)
    return render_template(
        "privacy/erase.html",
        customer=customer,
        error=None,
        kept=_kept(),
        complete_export=reads_everything(),
    )


@bp.post("/customers/<int:customer_id>/erase")
@role_required(Role.ADMIN)
def erase(customer_id: int) -> Response | tuple[str, int]:
    customer = get_customer_or_404(customer_id, deleted=None)
    if request.form.get("confirm_name", "").strip() != customer.name:
        error = _("Type the customer's name exactly as shown.")
        return render_template(
            "privacy/erase.html",
            customer=customer,
            error=error,
            kept=_kept(),
            complete_export=reads_everything(),
        ), 422
    job = erasure.request_erasure(
        db.session, customer, actor_id=current_user.id, clock=current_clock()
    )
    db.session.commit()
    return redirect(url_for("privacy.erasure_page", job_id=job.id))


def _job_or_404(job_id: int) -> ErasureJob:
    return db.get_or_404(ErasureJob, job_id)


@bp.get("/erasures/<int:job_id>")
@role_required(Role.SUPERVISOR)
def erasure_page(job_id: int) -> str:
    job = _job_or_404(job_id)
    return render_template("privacy/erasure.html", job=job, progress=erasure.progress(job))


@bp.get("/erasures/<int:job_id>/status.json")
@role_required(Role.SUPERVISOR)
def erasure_status(job_id: int) -> Response:
    return jsonify(erasure.progress(_job_or_404(job_id)))


@bp.get("/erasures/<int:job_id>/certificate.json")
@role_required(Role.SUPERVISOR)
def certificate(job_id: int) -> Response:
    job = _job_or_404(job_id)
    if job.status != "done":
        abort(404, _("The certificate is issued when the erasure is done."))
    response = jsonify(erasure.progress(job)["certificate"])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="erasure-certificate-{job.id}.json"'
    )
    return response
