"""Tasks of the `default` queue for privacy: erase a customer, apply retention policies."""

import logging

from celery import shared_task
from flask import current_app

from models import RetentionPolicy
from web.clocks import current_clock
from web.extensions import db
from web.inbound import blob_store
from workflows.privacy import access_log, erasure, retention

log = logging.getLogger("rapport.privacy")


@shared_task(name=erasure.RUN_TASK, acks_late=True, ignore_result=True)
def erase(job_id: int) -> None:
    """Run erasure job `job_id` step by step, committing each. A failed step is rolled back and
    recorded; requesting the erasure again resumes from there."""
    clock = current_clock()
    try:
        blobs = blob_store(current_app.config)
        while erasure.step(db.session, job_id, clock=clock, blobs=blobs):
            db.session.commit()
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        erasure.fail(db.session, job_id, exc, clock=clock)
        db.session.commit()
        log.exception("erasure job %s failed", job_id)


@shared_task(name="privacy.retention", acks_late=True, ignore_result=True)
def apply_retention() -> None:
    """Beat: apply every enabled retention policy, chunk by chunk; compact the search index
    after erasures; purge the old access log."""
    clock = current_clock()
    for policy_id in [p.id for p in retention.enabled_policies(db.session)]:
        db.session.rollback()
        touched = 0
        while True:
            policy = db.session.get(RetentionPolicy, policy_id)
            if policy is None or not policy.is_enabled:
                break
            done = retention.run_chunk(db.session, policy, clock=clock)
            touched += done
            if not done:
                retention.finish(db.session, policy, touched, clock=clock)
                db.session.commit()
                break
            db.session.commit()
        log.info("retention policy %s touched %s records", policy_id, touched)
    compacted = erasure.compact_after_erasures(db.session, clock=clock)
    db.session.commit()
    if compacted:
        log.info("search index compacted after %s erasures", compacted)
    keep_days = int(current_app.config["ACCESS_LOG_RETENTION_DAYS"])
    purged = access_log.purge(db.session, keep_days=keep_days, clock=clock)
    db.session.commit()
    log.info("access log: %s entries older than %s days purged", purged, keep_days)
