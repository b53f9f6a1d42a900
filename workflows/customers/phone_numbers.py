"""How a stored phone number (E.164) is shown to someone: in the national format when it
belongs to the viewer's region (`138 0013 8000` for a Chinese team, `030 123456` for a
German one), in the international format otherwise (`+86 138 0013 8000`). Reading typed
numbers into E.164 is `profiles.normalise_phone`; the region it assumes for a number typed
without `+` is the same setting (`RAPPORT_PHONE_REGION`)."""

import phonenumbers


def is_region(code: str | None) -> bool:
    """Whether `code` is a region phonenumbers knows (ISO 3166 alpha-2, upper case)."""
    return code in phonenumbers.SUPPORTED_REGIONS


def display(e164: str, viewer_region: str | None) -> str:
    """`e164` for a viewer in `viewer_region` (None: always international); a value that is
    not a valid number is shown as stored."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    if not phonenumbers.is_valid_number(number):
        return e164
    if viewer_region and phonenumbers.region_code_for_number(number) == viewer_region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
