"""What every domain may use: the clock, domain errors, the audit log, accounts and passwords,
the outbox and publish-after-commit, backup and restore.

Imports only `models` and the standard library's neighbours; never a domain package
(`customers`, `tracking`, …): import-linter checks it."""
