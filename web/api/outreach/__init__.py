"""Outreach over the API: strategies, their steps, dry run, lifecycle and enrolments."""
