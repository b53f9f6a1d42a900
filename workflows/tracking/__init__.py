"""Requirement tracking: requirements and `fire()`, the declared workflows (support, sales), SLA
clocks and policies (and applying a new version to open requirements), business calendars and
business time, timers, escalations, notices, a communication's effect on its requirement
(`conversations`), the categories list, saved queue views, and the header's global search
(`global_search`: customers and organisations beside requirements, through the read policy).

May import `customers` and `platform`; never a domain above it (import-linter checks it)."""
