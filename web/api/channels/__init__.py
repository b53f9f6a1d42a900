"""API of the channels domain: email in and out — inbound email, attachments, replies and notes
on a requirement, its thread, canned responses."""
