"""The messages marshmallow gives for a request that does not fit an API schema ("Not a valid
integer.", "Longer than maximum length 200."), as `Message`s, so a problem's `errors` speak the
client's language (`web.problems`) while their English stays marshmallow's own text. A message
not listed here (a custom validator's) is passed on as it is."""

import re

from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

# marshmallow's fixed messages (fields' `default_error_messages`, `Schema`'s type and unknown).
FIXED = {
    text: text
    for text in (
        N_("Field may not be null."),
        N_("Invalid input type."),
        N_("Invalid type."),
        N_("Invalid value."),
        N_("Missing data for required field."),
        N_("Not a valid boolean."),
        N_("Not a valid date."),
        N_("Not a valid datetime."),
        N_("Not a valid email address."),
        N_("Not a valid integer."),
        N_("Not a valid list."),
        N_("Not a valid mapping type."),
        N_("Not a valid number."),
        N_("Not a valid period of time."),
        N_("Not a valid string."),
        N_("Not a valid time."),
        N_("Not a valid URL."),
        N_("Not a valid UUID."),
        N_("Number too large."),
        N_("Special numeric values (nan or infinity) are not permitted."),
        N_("Unknown field."),
    )
}

# marshmallow.validate's messages with values: (pattern of the English, msgid with the same
# English once its slots are filled).
WITH_VALUES = tuple(
    (re.compile(pattern), msgid)
    for pattern, msgid in (
        (r"Longer than maximum length (?P<max>\S+)\.", N_("Longer than maximum length %(max)s.")),
        (r"Shorter than minimum length (?P<min>\S+)\.", N_("Shorter than minimum length %(min)s.")),
        (
            r"Length must be between (?P<min>\S+) and (?P<max>\S+)\.",
            N_("Length must be between %(min)s and %(max)s."),
        ),
        (r"Length must be (?P<equal>\S+)\.", N_("Length must be %(equal)s.")),
        (r"Must be one of: (?P<choices>.*)\.", N_("Must be one of: %(choices)s.")),
        (
            r"Must be greater than or equal to (?P<min>\S+) "
            r"and less than or equal to (?P<max>\S+)\.",
            N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
        ),
        (
            r"Must be greater than or equal to (?P<min>\S+)\.",
            N_("Must be greater than or equal to %(min)s."),
        ),
        (
            r"Must be less than or equal to (?P<max>\S+)\.",
            N_("Must be less than or equal to %(max)s."),
        ),
        (r"Must be greater than (?P<min>\S+)\.", N_("Must be greater than %(min)s.")),
        (r"Must be less than (?P<max>\S+)\.", N_("Must be less than %(max)s.")),
    )
)


def schema_message(text: str) -> str:
    """`text` as a Message when it is one of marshmallow's, else as it is."""
    if isinstance(text, Message):
        return text
    if text in FIXED:
        return Message(FIXED[text])
    for pattern, msgid in WITH_VALUES:
        matched = pattern.fullmatch(text)
        if matched:
            return Message(msgid, **matched.groupdict())
    return text
