"""Outreach: strategies (goal, audience, steps, send windows, caps, holdout), their lifecycle,
enrolments, the due steps the clock claims and fires, stop conditions and the email suppression
list with its unsubscribe links.

May import tracking (calendars, business time, requirements for task steps), customers
(segments, consent, communications) and platform (clock, outbox, errors); nothing imports it
but web, workers and privacy (its `subject_data` section of the data-subject export)."""
