"""Data-subject rights and data protection: export everything held about a customer, erase a
customer (anonymise in place, keep aggregates) under legal holds, retention policies, masked
contact points and the customer access log.

It sits on top of the domains: it may import every other `workflows` package (it collects their
`subject_data` sections, registered in `workflows.platform.subject_data`); none imports it.
"""
