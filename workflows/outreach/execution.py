"""One due step, executed once when it comes due: check the stop conditions, the step's
condition, consent and the suppression list, the customer's send window and the caps — all at
send time, not only at enrolment — then send on the step's channel, record it on both
timelines and plan the next step. Anything that is not yet allowed puts the row back with a
later due time; nothing is sent outside the window."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models import (
    CommunicationChannel,
    Customer,
    CustomerPhone,
    DueStep,
    DueStepStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Requirement,
    Strategy,
    StrategyStatus,
    StrategyVersion,
    User,
)
from workflows.outreach import (
    channels,
    eligibility,
    events,
    links,
    splits,
    stops,
    suppressions,
    templates,
)
from workflows.outreach.planning import Planner, plan_next
from workflows.outreach.windows import zone_of
from workflows.platform import outbox
from workflows.platform.clock import Clock
from workflows.tracking.requirements import WORKFLOWS

THROTTLE_WAIT = timedelta(seconds=60)
WEEK = timedelta(days=7)


@dataclass
class Settings:
    links: links.LinkSettings
    sms: channels.SmsSender = field(default_factory=channels.RecordingSmsSender)
    # Where a customer's answer goes: Rapport's inbound address, so it comes back in, lands on
    # the customer's timeline and stops the enrolment (None: answers go to the From address).
    reply_to: str | None = None


def outbox_key(strategy_id: int, enrolment_id: int, step_index: int, variant: str) -> str:
    return f"outreach:{strategy_id}:{enrolment_id}:{step_index}:{variant}"


class Run:
    """Executes the due steps of one batch; collects the outbox ids to publish after commit."""

    def __init__(self, session: Session, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.sends: list[int] = []
        self._mark = 0
        self._planners: dict[int, Planner] = {}

    def forget_sends_since_savepoint(self) -> None:
        del self.sends[self._mark :]

    def planner(self, version: StrategyVersion) -> Planner:
        if version.id not in self._planners:
            self._planners[version.id] = Planner.load(self.session, version.definition)
        return self._planners[version.id]

    def execute(self, step_id: int) -> str:
        self._mark = len(self.sends)
        session = self.session
        row = session.get(DueStep, step_id, populate_existing=True)
        if row is None:
            return "skipped"
        enrolment = session.get(Enrolment, row.enrolment_id)
        strategy = session.get(Strategy, row.strategy_id)
        if enrolment is None or strategy is None:
            return "skipped"
        if strategy.status == StrategyStatus.PAUSED:
            row.status = DueStepStatus.PAUSED  # resumed by `strategies.resume`
            return "paused"
        if strategy.status != StrategyStatus.ACTIVE or enrolment.status != EnrolmentStatus.ACTIVE:
            row.status = DueStepStatus.CANCELLED
            return "cancelled"
        version = session.get(StrategyVersion, enrolment.version_id)
        if version is None:
            return "skipped"
        definition = version.definition
        step = definition["steps"][row.step_index]
        customer = session.get(Customer, enrolment.customer_id)
        if customer is None or customer.deleted_at is not None:
            stops.stop(session, enrolment, "customer_deleted", clock=self.clock)
            return "stopped"
        reason = stops.reason_to_stop(session, enrolment, customer, definition)
        if reason is None:
            reason = self._unreachable(customer, step["channel"], definition)
        if reason is not None:
            stops.stop(session, enrolment, reason, clock=self.clock)
            return "stopped"
        planner = self.planner(version)
        zone = zone_of(customer.time_zone, definition["window"]["default_time_zone"])
        if not self._condition_holds(step.get("condition"), enrolment, customer, definition):
            events.record(
                session,
                enrolment,
                "skipped",
                clock=self.clock,
                step_index=row.step_index,
                detail=f"condition {step['condition']}",
            )
            self._advance(enrolment, row.step_index, planner, zone)
            return "skipped"
        now = self.clock.now()
        send_at = planner.send_time(now, zone)
        if send_at > now:
            return self._postpone(row, send_at, "window")
        later = self._capped_until(customer.id, step["channel"], definition["caps"], now)
        if later is not None:
            return self._postpone(row, planner.send_time(later, zone), "cap")
        if self._already_sent(enrolment.id, row.step_index):
            self._advance(enrolment, row.step_index, planner, zone)
            return "skipped"
        variant = self._variant(row, step)
        self._send(strategy, enrolment, customer, step, variant, row.step_index)
        self._advance(enrolment, row.step_index, planner, zone)
        return "sent"

    # ------------------------------------------------------------------ checks

    def _unreachable(
        self, customer: Customer, channel: str, definition: dict[str, Any]
    ) -> str | None:
        """Why `channel` cannot reach the customer now (no address, no consent, suppressed)."""
        session = self.session
        if channel == "task":
            return None
        if channel == "email" and not customer.primary_email:
            return "no_email"
        if channel == "sms" and self._phone(customer) is None:
            return "no_phone"
        latest = eligibility.latest_consents(session, [customer.id], channel).get(customer.id)
        if not eligibility.consent_given(latest, definition.get("consent") or "granted"):
            return "no_consent"
        if channel == "email":
            suppressed = suppressions.reason_for(session, customer.primary_email)
            if suppressed is not None:
                return str(suppressed)
        return None

    def _phone(self, customer: Customer) -> str | None:
        return self.session.scalar(
            select(CustomerPhone.e164).where(CustomerPhone.customer_id == customer.id).limit(1)
        )

    def _condition_holds(
        self,
        condition: str | None,
        enrolment: Enrolment,
        customer: Customer,
        definition: dict[str, Any],
    ) -> bool:
        since = enrolment.enrolled_at
        if condition == "no_reply":
            return not stops.replied(self.session, customer.id, since)
        if condition == "goal_not_reached":
            return not stops.goal_reached(self.session, definition["goal"], customer.id, since)
        if condition == "requirement_open":
            open_states = {
                (key, state)
                for key, workflow in WORKFLOWS.items()
                if key != stops.TASK_WORKFLOW
                for state in workflow.states
                if workflow.is_active(state)
            }
            rows = self.session.execute(
                select(Requirement.workflow, Requirement.state).where(
                    Requirement.customer_id == customer.id
                )
            )
            return any(pair in open_states for pair in rows)
        return True

    def _capped_until(
        self, customer_id: int, channel: str, caps: dict[str, Any], now: datetime
    ) -> datetime | None:
        """When the caps next allow a message, or None when they allow it now: at most N per
        customer in any 7 days across every strategy, and N per channel per minute."""
        sent_at = list(
            self.session.scalars(
                select(EnrolmentEvent.at)
                .where(
                    EnrolmentEvent.customer_id == customer_id,
                    EnrolmentEvent.kind == "sent",
                    EnrolmentEvent.at > now - WEEK,
                )
                .order_by(EnrolmentEvent.at)
            )
        )
        cap = caps["per_customer_per_week"]
        if len(sent_at) >= cap:
            return sent_at[len(sent_at) - cap] + WEEK + timedelta(seconds=1)
        this_minute = self.session.scalar(
            select(func.count()).where(
                EnrolmentEvent.channel == channel,
                EnrolmentEvent.kind == "sent",
                EnrolmentEvent.at > now - timedelta(minutes=1),
            )
        )
        if (this_minute or 0) >= caps["per_channel_per_minute"]:
            return now + THROTTLE_WAIT
        return None

    def _already_sent(self, enrolment_id: int, step_index: int) -> bool:
        return bool(
            self.session.scalar(
                select(
                    exists().where(
                        EnrolmentEvent.enrolment_id == enrolment_id,
                        EnrolmentEvent.step_index == step_index,
                        EnrolmentEvent.kind == "sent",
                    )
                )
            )
        )

    def _variant(self, row: DueStep, step: dict[str, Any]) -> dict[str, Any]:
        """The variant stored when the step was planned (`workflows.outreach.splits`: a re-run
        sends the same one); a row planned before variants were stored chooses by the weights,
        the same on every attempt, and records it."""
        stored = splits.variant_of(step, row.variant) if row.variant else None
        if stored is not None:
            return stored
        variant = splits.choose_variant(step, row.enrolment_id, row.step_index)
        row.variant = variant["key"]
        return variant

    # ------------------------------------------------------------------ effects

    def _postpone(self, row: DueStep, at: datetime, why: str) -> str:
        row.status = DueStepStatus.PENDING
        row.due_at = at
        row.lease_until = None
        row.last_error = None
        return "held" if why == "window" else "capped"

    def _advance(self, enrolment: Enrolment, step_index: int, planner: Planner, zone: str) -> None:
        enrolment.steps_done = step_index + 1
        planned = plan_next(
            self.session,
            enrolment,
            step_index + 1,
            after=self.clock.now(),
            zone=zone,
            planner=planner,
        )
        if planned is not None:
            return
        enrolment.status = EnrolmentStatus.COMPLETED
        events.record(self.session, enrolment, "completed", clock=self.clock)

    def _headers(self, unsubscribe_url: str) -> dict[str, str]:
        headers = links.unsubscribe_headers(unsubscribe_url)
        if self.settings.reply_to:
            headers["Reply-To"] = self.settings.reply_to
        return headers

    def _send(
        self,
        strategy: Strategy,
        enrolment: Enrolment,
        customer: Customer,
        step: dict[str, Any],
        variant: dict[str, Any],
        step_index: int,
    ) -> None:
        session = self.session
        source = variant if variant["key"] != "-" else step
        sender = session.get(User, strategy.owner_id) if strategy.owner_id else None
        address = customer.primary_email or ""
        url = links.unsubscribe_url(self.settings.links, customer.id) if address else ""
        context = templates.context_for(session, customer, sender=sender, unsubscribe_url=url)
        texts = templates.render(templates.texts_for(source, customer.language), context)
        channel = step["channel"]
        key = outbox_key(strategy.id, enrolment.id, step_index, variant["key"])
        variant_key = None if variant["key"] == "-" else variant["key"]
        origin = channels.Origin(strategy.id, step_index, variant_key)
        communication_id = None
        outbox_id = None
        if channel == "email":
            ids = outbox.insert_emails(
                session,
                [
                    outbox.Email(
                        idempotency_key=key,
                        cause=f"outreach:{strategy.id}",
                        to_address=address,
                        subject=texts["subject"].strip().replace("\n", " "),
                        body_text=texts["body"],
                        headers=self._headers(url),
                    )
                ],
                clock=self.clock,
            )
            if not ids:
                return  # this message was written before: nothing more to do
            outbox_id = ids[0]
            self.sends.append(outbox_id)
            communication = channels.record_communication(
                session,
                customer,
                CommunicationChannel.EMAIL,
                subject=texts["subject"],
                body=texts["body"],
                author_id=strategy.owner_id,
                participants=[address],
                origin=replace(
                    origin, outbox_id=outbox_id, message_id=outbox.message_id_of(session, key)
                ),
                clock=self.clock,
            )
            communication_id = communication.id
        elif channel == "sms":
            number = self._phone(customer) or ""
            self.settings.sms.send(
                session, customer=customer, number=number, body=texts["body"], clock=self.clock
            )
            communication = channels.record_communication(
                session,
                customer,
                CommunicationChannel.SMS,
                subject=None,
                body=texts["body"],
                author_id=strategy.owner_id,
                participants=[number],
                origin=origin,
                clock=self.clock,
            )
            communication_id = communication.id
        else:
            requirement_id = channels.open_task(
                session, strategy, customer, step, texts, clock=self.clock
            )
            texts["subject"] = f"task #{requirement_id}"
        now = self.clock.now()
        enrolment.last_sent_at = now
        events.record(
            session,
            enrolment,
            "sent",
            clock=self.clock,
            step_index=step_index,
            variant=variant_key,
            channel=channel,
            detail=texts.get("subject") or texts.get("title"),
            communication_id=communication_id,
            outbox_id=outbox_id,
        )
        session.flush()
