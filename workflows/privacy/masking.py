"""Masked contact points for roles that should not see them whole: a***@example.com and
+86 138****8000. Pure functions; who sees masks is a setting the web layer reads."""

import phonenumbers


def mask_email(email: str | None) -> str | None:
    if not email:
        return email
    local, at, domain = email.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(e164: str | None) -> str | None:
    """Country code, the first three and the last four digits of the national number."""
    if not e164:
        return e164
    try:
        number = phonenumbers.parse(e164)
        national = str(number.national_number)
        prefix = f"+{number.country_code} "
    except phonenumbers.NumberParseException:
        national, prefix = "".join(c for c in e164 if c.isdigit()), ""
    if len(national) <= 7:
        return prefix + "*" * max(len(national) - 2, 1) + national[-2:]
    return f"{prefix}{national[:3]}{'*' * (len(national) - 7)}{national[-4:]}"
