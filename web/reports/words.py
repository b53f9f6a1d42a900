"""The words of the report tables' column and value codes (`created`, `first_response`, a
workflow's state codes), for the charts' series and axes and the tables' headings the browser
draws: the data (JSON, API, CSV) keeps its codes, reports.js shows these words, translated for
the viewer (`<div id="report" data-columns>`). A code not listed is shown as it is."""

import json

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from web.requirements.sla_display import METRIC_LABELS
from workflows.analytics import pareto
from workflows.tracking import workflow_words

COLUMN_WORDS = {
    "amount": _l("Amount"),
    "bars": _l("Bars"),
    "breached": _l("Breached"),
    "breaches": _l("Breaches"),
    "bucket": _l("Range"),
    "buckets": _l("Ranges"),
    "clocks_met": _l("Clocks met"),
    "clocks_breached": _l("Clocks breached"),
    "compliance": _l("Compliance"),
    "conversion_from_previous": _l("Conversion from the previous stage"),
    "created": _l("Requirements created"),
    "cumulative_share": _l("Cumulative share"),
    "currency": _l("Currency"),
    "customers": _l("Customers"),
    "day": _l("Date"),
    "days_since": _l("Days since"),
    "id": _l("Number"),
    "in_progress": _l("In progress"),
    "key": _l("Key"),
    "label": _l("Label"),
    "last_purchase_on": _l("Last purchase"),
    "mean_seconds": _l("Mean (seconds)"),
    "mean_first_response_seconds": _l("Mean first response (seconds)"),
    "median": _l("Median"),
    "median_seconds": _l("Median (seconds)"),
    "met": _l("Met"),
    "metric": _l("Metric"),
    "month": _l("Month"),
    "missing": _l("What is missing"),
    "name": _l("Name"),
    "no_amount": _l("No amount"),
    "no_amount_no_close_date": _l("No amount and no expected close date"),
    "no_close_date": _l("No expected close date"),
    "now": _l("Now"),
    "opportunities": _l("Opportunities"),
    "overdue": _l("Overdue"),
    "p90": _l("90th percentile"),
    "p90_seconds": _l("90th percentile (seconds)"),
    "reached": _l("Reached"),
    "requirements": _l("Requirements"),
    "resolved": _l("Requirements resolved"),
    "revenue": _l("Revenue"),
    "rung": _l("Rung"),
    "share": _l("Share"),
    "stage": _l("Stage"),
    "stays_ended": _l("Stays ended"),
    "summary": _l("Summary"),
    "transactions": _l("Transactions"),
    "value": _l("Value"),
    "(none)": _l("(none)"),
}


def column_words_json() -> str:
    """Every code's words in the viewer's language: the columns, the SLA metrics and the
    workflows' states (the support report's series, the sales funnel's stages)."""
    return json.dumps(_all_words(), ensure_ascii=False)


def code_words(code: object, *, heading: bool = False) -> str:
    """One code's words, as reports.js shows it: a heading without words reads its
    underscores as spaces, a value without words is shown as it is."""
    text = str(code)
    found = _all_words().get(text)
    if found is not None:
        return found
    return text.replace("_", " ") if heading else text


def _all_words() -> dict[str, str]:
    words = {code: str(text) for code, text in COLUMN_WORDS.items()}
    words.update({code: str(text) for code, text in METRIC_LABELS.items()})
    for workflow in workflow_words.WORKFLOWS.values():
        for state in workflow.state_labels:
            words.setdefault(state, str(workflow_words.state_label(state, workflow)))
    for label in pareto.CAUSE_LABELS.values():
        words.setdefault(label, gettext(label))
    # A flag's cell (a pipeline month's "overdue"): JavaScript writes true/false, shown in words.
    words.setdefault("true", gettext("yes"))
    words.setdefault("false", gettext("no"))
    return words


def bar_label(label: str) -> str:
    """A Pareto bar's label as a reader sees it: the breach causes and "(none)" (the data's
    English words) translated, a name (a category, a customer) as it is."""
    if label == pareto.NONE_LABEL or label in pareto.CAUSE_LABELS.values():
        return gettext(label)
    return label
