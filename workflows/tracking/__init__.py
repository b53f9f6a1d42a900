"""Requirement tracking: requirements and `fire()`, the declared workflows (support, sales), SLA
clocks and policies (and applying a new version to open requirements), business calendars and
business time, timers, escalations, notices, and a communication's effect on its requirement
(`conversations`).

May import `customers` and `platform`; never a domain above it (import-linter checks it)."""
