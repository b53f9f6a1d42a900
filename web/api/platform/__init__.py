"""The API's own plumbing: tokens and health."""
