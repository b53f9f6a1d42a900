"""What works in outreach: the replies strategies drew, grouped by the channel or by the
strategy step that drew them, for the Pareto chart.

A reply is an enrolment stopped because its customer replied, stopped inside the range; it is
credited to the last step sent to that enrolment (the message the customer answered, most
likely). A holdout enrolment that replied was sent nothing and is no strategy's effect: it is
left out, as is any reply before the first step went."""

from typing import Any

from sqlalchemy import Select, String, cast, func, select

from models import Enrolment, EnrolmentEvent, Strategy
from workflows.analytics.ranges import DayRange

DIMENSIONS = ("replies_by_channel", "replies_by_step")
REPLIED = "replied"  # the stop reason `workflows.outreach.stops` records for a reply


def grouped(dimension: str, days: DayRange) -> Select[Any]:
    """(key, label, replies) grouped by channel or by strategy step."""
    last_sent = (
        select(func.max(EnrolmentEvent.id))
        .where(EnrolmentEvent.enrolment_id == Enrolment.id, EnrolmentEvent.kind == "sent")
        .scalar_subquery()
    )
    replies = (
        select(Enrolment.strategy_id.label("strategy_id"), last_sent.label("event_id"))
        .where(
            Enrolment.stop_reason == REPLIED,
            Enrolment.stopped_at >= days.start,
            Enrolment.stopped_at < days.end,
        )
        .subquery()
    )
    credited = (
        select().select_from(replies).join(EnrolmentEvent, EnrolmentEvent.id == replies.c.event_id)
    )
    if dimension == "replies_by_channel":
        channel = func.coalesce(EnrolmentEvent.channel, "")
        return credited.add_columns(channel, channel, func.count()).group_by(channel)
    step = EnrolmentEvent.step_index + 1
    key = cast(Strategy.id, String) + ":" + cast(step, String)
    label = Strategy.name + " · step " + cast(step, String)
    return (
        credited.join(Strategy, Strategy.id == replies.c.strategy_id)
        .add_columns(key, label, func.count())
        .group_by(Strategy.id, Strategy.name, EnrolmentEvent.step_index)
    )
