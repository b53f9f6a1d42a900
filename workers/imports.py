"""Tasks of the `default` queue for CSV imports."""

from celery import shared_task

from web.clocks import current_clock
from web.extensions import db
from workflows.customers import imports


@shared_task(name="imports.run", acks_late=True, ignore_result=True)
def run(job_id: int) -> None:
    """Run import job `job_id` to the end, committing after every piece (see imports.step).
    A redelivered task resumes from the committed progress; a finished job is left alone."""
    clock = current_clock()
    while imports.step(db.session, job_id, clock=clock):
        db.session.commit()
    db.session.commit()
