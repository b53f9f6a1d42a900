"""The expressions the queue indexes are built on (migrations c4a8e2f61d07 and 5e1f0ad7c201:
`ix_requirements_queue_*`, partial over the active states, ordered by the due time with no due
time last). A query uses such an index only when its WHERE and ORDER BY repeat these
expressions exactly, literals included (a bound parameter would not match the partial index's
predicate on SQLite) — so the queues and the home page both take them from here."""

from sqlalchemy import bindparam, func, literal_column

from models import Requirement
from workflows.tracking.requirements import WORKFLOWS

# Work still to do (neither done nor final), whatever the workflow.
ACTIVE_STATES = sorted({s for w in WORKFLOWS.values() for s in w.states if w.is_active(s)})
ACTIVE = Requirement.state.in_(
    bindparam("active_states", ACTIVE_STATES, expanding=True, literal_execute=True)
)
# No due time sorts last (SQLite's index order has no NULLS LAST).
NOT_DUE_LAST = func.coalesce(Requirement.sla_due_at, literal_column("'9999-12-31 23:59:59+00'"))
