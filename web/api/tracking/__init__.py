"""Requirement tracking over the API: requirements and their triggers, calendars, SLA policies
and the escalation queue."""
