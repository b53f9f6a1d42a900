"""Beat's sweep of attachment files no row references (a rolled-back transaction's)."""

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app

from web.clocks import current_clock
from web.extensions import db
from web.inbound import blob_store
from workflows.channels import attachments

log = logging.getLogger("rapport.attachments")


@shared_task(name="attachments.sweep_orphans", acks_late=True, ignore_result=True)
def sweep_orphans() -> int:
    """Delete unreferenced blobs older than ATTACHMENTS_ORPHAN_MINUTES; safe to run twice."""
    config = current_app.config
    try:
        removed = attachments.sweep_orphans(
            db.session,
            blob_store(config),
            clock=current_clock(),
            grace=timedelta(minutes=float(config["ATTACHMENTS_ORPHAN_MINUTES"])),
        )
    finally:
        db.session.rollback()  # it only read
    if removed:
        log.info("attachments: removed %d unreferenced files", removed)
    return removed
