"""Pure normalization rules shared by computes, constraints and public methods.

No Odoo import on purpose: the BFF mock mirrors these rules and the table tests
exercise them without a registry.
"""
import re
import unicodedata

# ASCII digits only: Python's \d also matches Arabic-Indic and other digits NFKC keeps as they are
CN_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
# CJK unified ideographs (provinces, 使/领/警/学/挂...), A-Z, 0-9
PLATE_RE = re.compile(r"^[\u4e00-\u9fffA-Z0-9]{2,12}$")
PLATE_SEPARATORS_RE = re.compile(r"[\s·•・.\-_]+")
VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def _nfkc(value):
    # full-width digits/letters typed on CJK keyboards become ASCII
    return unicodedata.normalize("NFKC", value or "")


def normalize_phone(raw):
    """Return the normalized phone (CN mobile without +86, or E.164), or None.

    Keeps digits and a leading ``+``; ``00`` prefix -> ``+``; ``+86`` or a
    leading ``86`` on a 13-digit number is stripped.
    """
    if not raw:
        return None
    kept = re.sub(r"[^0-9+]", "", _nfkc(str(raw)).strip())
    plus = kept.startswith("+")
    digits = kept.replace("+", "")
    if plus:
        number = "+" + digits
    elif digits.startswith("00"):
        number = "+" + digits[2:]
    else:
        number = digits
    if number.startswith("+86"):
        number = number[3:]
    elif len(number) == 13 and number.startswith("86"):
        number = number[2:]
    if CN_MOBILE_RE.match(number) or E164_RE.match(number):
        return number
    return None


def clean_plate(raw):
    """Upper-case the plate and drop spaces and separators (· • ・ . - _)."""
    if not raw:
        return ""
    return PLATE_SEPARATORS_RE.sub("", _nfkc(str(raw)).upper())


def is_valid_plate(cleaned):
    return bool(cleaned) and bool(PLATE_RE.match(cleaned))


def normalize_plate(raw):
    """Return the normalized plate, or None when it is not a valid plate."""
    cleaned = clean_plate(raw)
    return cleaned if is_valid_plate(cleaned) else None


def clean_vin(raw):
    """Upper-case the VIN and drop whitespace; empty -> False (Odoo's empty)."""
    if not raw:
        return False
    cleaned = re.sub(r"\s+", "", _nfkc(str(raw)).upper())
    return cleaned or False


def is_valid_vin(cleaned):
    return bool(cleaned) and bool(VIN_RE.match(cleaned))
