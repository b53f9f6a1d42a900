"""Loads every domain's data-subject sections (each module registers its own on import).
A new domain adds its `subject_data` module here."""

from workflows.channels import subject_data as channels_subject_data
from workflows.customers import subject_data as customers_subject_data
from workflows.outreach import subject_data as outreach_subject_data
from workflows.platform.subject_data import Section, sections
from workflows.tracking import subject_data as tracking_subject_data

CONTRIBUTORS = (
    customers_subject_data,
    tracking_subject_data,
    channels_subject_data,
    outreach_subject_data,
)


def registered() -> list[Section]:
    return sections()
