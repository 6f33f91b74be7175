"""Cleaning of personal data as people type it and as Chinese spreadsheets hold it.

Shared by the application form, the profile form and the import pipeline so that a value is
judged the same way whichever door it comes through.  Each ``clean_*`` returns the normalised
value or raises ``ValueError`` with a translated message.
"""

import datetime
import re

from django.utils.translation import gettext as _

from common.normalize import text

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
RESIDENT_ID_RE = re.compile(r"^\d{17}[\dX]$")
PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")
MOBILE_CN_RE = re.compile(r"^1[3-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_MONTH_PATTERNS = [re.compile(r"^(\d{4})[-/.](\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月$")]


def resident_id_valid(value: str) -> bool:
    if not RESIDENT_ID_RE.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17]


def clean_id_number(id_type: str, value) -> str:
    value = text(value).replace(" ", "").upper()
    if not value:
        return ""
    if id_type == "resident_id":
        if not resident_id_valid(value):
            raise ValueError(
                _("This is not a valid 18-character resident ID number (check digit mismatch or wrong length).")
            )
    elif id_type == "passport" and not PASSPORT_RE.match(value):
        raise ValueError(_("A passport number has 5–20 letters and digits."))
    return value


def clean_mobile(value) -> str:
    """``+8613812345678`` for mainland numbers (the +86 default), ``+<digits>`` for others."""
    value = re.sub(r"[\s\-()]", "", text(value))
    if not value:
        return ""
    if value.startswith("00"):
        value = "+" + value[2:]
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("+"):
        if not value[1:].isdigit() or not 6 <= len(value) - 1 <= 15:
            raise ValueError(_("Enter the mobile number with its country code, e.g. +852 91234567."))
        return value
    if not MOBILE_CN_RE.match(value):
        raise ValueError(
            _("Enter an 11-digit mainland mobile number, or a number starting with + and its country code.")
        )
    return "+86" + value


def clean_email(value) -> str:
    value = text(value).replace(" ", "").lower()
    if value and not EMAIL_RE.match(value):
        raise ValueError(_("Enter a valid e-mail address."))
    return value


def clean_date(value) -> datetime.date | None:
    """Dates as Chinese spreadsheets hold them: 2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日,
    20240301, a month alone (2024年3月, taken as its first day), or a real date cell."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value).replace(" ", "")
    if not raw:
        return None
    raw = raw.removesuffix("00:00:00").removesuffix("T")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            year, month, day = (int(x) for x in match.groups())
            break
    else:
        for pattern in _MONTH_PATTERNS:
            match = pattern.match(raw)
            if match:
                year, month, day = int(match.group(1)), int(match.group(2)), 1
                break
        else:
            raise ValueError(_("“%(value)s” is not a date (use e.g. 2024-03-01 or 2024年3月1日).") % {"value": raw})
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a date that exists.") % {"value": raw}) from None


GENDER_WORDS = {"男": "M", "m": "M", "male": "M", "女": "F", "f": "F", "female": "F"}


def clean_gender(value) -> str:
    value = text(value).lower()
    if not value:
        return ""
    if value not in GENDER_WORDS:
        raise ValueError(_("Gender must be 男/女 (M/F)."))
    return GENDER_WORDS[value]


ID_TYPE_WORDS = {
    "身份证": "resident_id",
    "居民身份证": "resident_id",
    "resident_id": "resident_id",
    "id card": "resident_id",
    "护照": "passport",
    "passport": "passport",
    "其他": "other",
    "other": "other",
    "港澳通行证": "other",
    "台胞证": "other",
}
DEGREE_WORDS = {
    "学士": "bachelor",
    "本科": "bachelor",
    "bachelor": "bachelor",
    "硕士": "master",
    "master": "master",
    "博士": "doctorate",
    "doctorate": "doctorate",
    "phd": "doctorate",
    "其他": "other",
    "other": "other",
    "大专": "other",
}


def clean_choice(value, words: dict, message: str) -> str:
    value = text(value).lower()
    if not value:
        return ""
    if value not in words:
        raise ValueError(message)
    return words[value]


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 4:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else value[:1] + "***" + value[-2:]


def mask_mobile(value: str) -> str:
    if len(value) < 8:
        return value
    return value[:-8] + "****" + value[-4:]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
