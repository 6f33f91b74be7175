"""Merge translations into the zh_Hans catalogue: ``python -m deploy.i18n.fill_po FILE.json``.

The JSON maps English msgids to Chinese.  Used after ``makemessages`` so new strings of any app
can be translated in one place; existing translations are kept unless the JSON gives another.
"""

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main(paths: list[str]) -> int:
    po = polib.pofile(str(PO))
    table: dict[str, str] = {}
    for path in paths:
        table.update(json.loads(Path(path).read_text(encoding="utf-8")))
    missing = []
    for entry in po:
        if entry.msgid in table:
            entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr and not entry.obsolete:
            missing.append(entry.msgid)
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
