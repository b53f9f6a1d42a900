"""Channels: email in and out (later SMS). Owns receiving customers' mail (parsing, matching it to
a customer and requirement, attachments and their storage, the loop and noise rules) and agents'
replies and internal notes on a requirement, canned responses, and a requirement's thread as the
page and the API show it.

It sits above tracking: it may import tracking, customers and platform (import-linter's layers
contract), and none of them may import it. What tracking itself sends about a requirement
(customer notices) joins the same thread through `workflows.tracking.requirement_threads`."""
