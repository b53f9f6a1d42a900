"""API of email in and out: replies and notes on a requirement, its thread, canned responses."""
