"""Tasks of the `default` queue for SLA policies: apply a new version to open requirements."""

import logging

from celery import shared_task

from web.clocks import current_clock
from web.extensions import db
from workflows.tracking import sla_apply

log = logging.getLogger("rapport.sla")


@shared_task(name=sla_apply.APPLY_TASK, acks_late=True, ignore_result=True)
def apply_policy(policy_id: int) -> None:
    """Recompute chunk by chunk, committing each, so progress shows and a crash resumes."""
    while True:
        finished = sla_apply.run_chunk(db.session, policy_id, clock=current_clock())
        db.session.commit()
        if finished:
            break
    log.info("policy %s applied to open requirements", policy_id)
