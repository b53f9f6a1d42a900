"""No one-click irreversible action: every form that posts to one asks in a dialog first (a
`data-confirm` sentence on the form or its button) — and the view asks again on a page when
JavaScript is off (web/confirmations.py; tested per view in the integration tests)."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
# (template, endpoint, the button value that is irreversible or None for the whole form)
IRREVERSIBLE = [
    ("canned/index.html", "canned.delete", None),
    ("outreach/show.html", "outreach.stop", None),
    ("outreach/show.html", "outreach.move", "archive"),
    ("privacy/retention.html", "privacy.retention_action", "delete"),
    ("admin/user_edit.html", "admin.reset_password", None),
    ("account/show.html", "account.revoke_token", None),
    ("requirements/show.html", "requirements.transition", "cancel"),
    ("requirements/index.html", "requirements.bulk", "fire"),
]


def _form(template: str, endpoint: str) -> str:
    html = (TEMPLATES / template).read_text()
    start = html.index(f"url_for('{endpoint}'")
    opening = html.rindex("<form", 0, start)
    return html[opening : html.index("</form>", start)]


@pytest.mark.parametrize(("template", "endpoint", "value"), IRREVERSIBLE)
def test_irreversible_forms_ask_first(template: str, endpoint: str, value: str | None) -> None:
    form = _form(template, endpoint)
    if value is None:
        assert "data-confirm" in form
    elif endpoint == "requirements.transition":  # the workflow's confirmations mark buttons
        assert 'data-confirm="{{ workflow.confirmations[t] }}"' in form
    elif endpoint == "requirements.bulk":  # the chosen action's sentence, from its option
        assert 'data-confirm-from="bulk-trigger"' in form and "bulk_confirmations" in form
    else:
        button = re.search(
            rf"<button[^>]*value=\"{value}\"[^>]*>|\{{% if t == '{value}' %}}[^>]*", form
        )
        assert button is not None and "data-confirm" in button.group(0)
