"""API of the channels domain: inbound email and attachments."""
