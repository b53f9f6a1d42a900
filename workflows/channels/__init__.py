"""Channels: email in (and later out, SMS). Owns parsing received mail, matching it to a
customer and requirement, attachments and their storage, and the loop and noise rules.

May import tracking, customers and platform (import-linter's layers contract); nothing below
imports it."""
