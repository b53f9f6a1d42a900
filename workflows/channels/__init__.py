"""Email in and out: agents' replies and internal notes on a requirement, canned responses,
a requirement's thread as the page and the API show it, and (from the inbound work) receiving
customers' mail.

It sits above tracking: it may import tracking, customers and platform, and none of them may
import it. What tracking itself sends about a requirement (customer notices) joins the same
thread through `workflows.tracking.requirement_threads`."""
