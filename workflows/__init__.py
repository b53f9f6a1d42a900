"""Plain-Python domain services: they take a session, a clock and plain values; they flush and
never commit. Grouped by domain, each package saying what it owns:

- `platform/`  clock, errors, audit, accounts and passwords, outbox, publishing, backup
- `customers/` profiles, organisations, communications, transactions, custom fields, stages,
               segments, the search index and customer queries, merge, imports
- `tracking/`  requirements and their declared workflows, SLA clocks and policies, calendars,
               business time, timers, escalations and notices

Imports point one way: tracking → customers → platform (import-linter checks it)."""
