"""Terminal and irreversible triggers ask first: the workflow declares the sentence naming what
will happen (`Workflow.confirmations`); without `confirmed=yes` a POST renders a confirmation
page with the same values (web/confirmations.py), and the buttons' `data-confirm` makes
web/static/rapport.js ask in a dialog before the first POST."""

from collections.abc import Iterable

from models import Requirement
from web.confirmations import ask_first, is_confirmed
from workflows.tracking import requirements

__all__ = ["button_words", "confirmation_page", "is_confirmed", "sentences"]


def sentences(reqs: Iterable[Requirement], trigger: str) -> list[str]:
    """What `trigger` will do to these requirements, once per workflow that declares it."""
    found: list[str] = []
    for req in reqs:
        sentence = requirements.workflow_of(req).confirmation(trigger)
        if sentence and sentence not in found:
            found.append(sentence)
    return found


def button_words(reqs: Iterable[Requirement], trigger: str, n: int | None = None) -> str:
    """The confirming button's words for `trigger` (for `n` requirements, if given), from the
    first workflow among `reqs` that asks before it."""
    workflows = [requirements.workflow_of(req) for req in reqs]
    asking = [w for w in workflows if trigger in w.confirmations] or workflows
    if not asking:
        return requirements.SUPPORT.confirm_label("", n)
    return asking[0].confirm_label(trigger, n)


def confirmation_page(
    *,
    heading: str,
    what: list[str],
    reqs: list[Requirement],
    action: str,
    fields: list[tuple[str, str]],
    confirm_label: str,
    back: str,
) -> str:
    """The page that asks; its form posts `fields` again with `confirmed=yes`."""
    return ask_first(
        heading=heading,
        what=what,
        items=[f"#{r.id} {r.title}" for r in reqs] if len(reqs) > 1 else [],
        action=action,
        fields=fields,
        confirm_label=confirm_label,
        back=back,
    )
