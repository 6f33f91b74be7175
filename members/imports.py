"""Member import from CSV/XLSX: read → map headers → validate in bulk → (confirm) write in one go.

The same pipeline serves the console (dry-run preview, then confirm; Celery for large files)
and ``manage.py import_members``.  Validation is in Python over the whole file at once, matching
against existing members by e-mail, ID number and mobile through in-memory maps; the write is
set-based (ids reserved from the sequence, rows sent with COPY), all-or-nothing, and only
happens when the file has no error at all.  Importing the same file twice changes nothing.
"""

import csv
import datetime
import io
import secrets
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import record_audit
from members import normalize
from members.models import (
    PROFILE_FIELDS,
    IdType,
    Member,
    MembershipCategory,
    MembershipSettings,
    MemberStatus,
    MemberTerm,
    StatusChange,
    TermKind,
)
from members.resources import COLUMNS, header_map

MAX_IMPORT_BYTES = 40 * 1024 * 1024
PREVIEW_ROWS = 500
PROGRESS_EVERY = 2000  # rows between two progress updates of a running job
HEADER_OF = {attribute: header for attribute, header, _aliases in COLUMNS}
TEXT_FIELDS = ("name_zh", "name_en", "work_unit", "title", "discipline", "address", "region")
MATCH_KEYS = ("email", "id_number", "mobile")
STATUS_WORDS = {
    "申请中": "applicant",
    "待缴费": "pending_payment",
    "正常": "active",
    "有效": "active",
    "在籍": "active",
    "宽限期": "grace",
    "过期": "lapsed",
    "已过期": "lapsed",
    "失效": "lapsed",
    "退会": "resigned",
    "已退会": "resigned",
    "除名": "terminated",
    "已故": "deceased",
    "逝世": "deceased",
    **{value: value for value in MemberStatus.values},
    **{str(label).lower(): value for value, label in MemberStatus.choices},
}
WRITE_FIELDS = [
    "number",
    *PROFILE_FIELDS,
    "category_id",
    "status",
    "joined_on",
    "term_start",
    "term_end",
]


class ImportFileError(ValueError):
    """The file cannot be read at all (size, format, encoding, no header)."""


@dataclass
class Report:
    encoding: str = ""
    columns: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # {"row", "column", "message"}
    rows: list = field(default_factory=list)  # preview: {"row", "action", "name", "changes"}
    counts: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0})
    committed: bool = False

    @property
    def acceptable(self) -> bool:
        return not self.errors

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append({"row": row, "column": column, "message": str(message)})

    def as_dict(self) -> dict:
        return {
            "encoding": self.encoding,
            "columns": self.columns,
            "counts": self.counts,
            "errors": self.errors,
            "rows": self.rows[:PREVIEW_ROWS],
            "acceptable": self.acceptable,
            "committed": self.committed,
        }


# --- reading ---------------------------------------------------------------------------------


def decode(content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK, what Chinese Excel writes)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8"), "utf-8-sig"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is neither UTF-8 nor GBK/GB18030 text; save it as CSV (UTF-8) or XLSX.")
        ) from None


def read_table(content: bytes, filename: str) -> tuple[list[str], list[list], str]:
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            _("The file is %(size)d MB; the limit is %(limit)d MB. Split it into smaller files.")
            % {"size": len(content) // (1024 * 1024), "limit": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    if not content.strip():
        raise ImportFileError(_("The file is empty."))
    if filename.lower().endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        rows, encoding = _read_xlsx(content), "xlsx"
    else:
        text, encoding = decode(content)
        rows = list(csv.reader(io.StringIO(text)))
    rows = [row for row in rows if any(str(cell).strip() for cell in row if cell is not None)]
    if not rows:
        raise ImportFileError(_("The file is empty."))
    headers = [normalize.text(h) for h in rows[0]]
    return headers, rows[1:], encoding


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many exception types for a damaged workbook
        raise ImportFileError(_("The XLSX file cannot be opened: %(error)s") % {"error": exc}) from None
    sheet = workbook.worksheets[0]
    rows = [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


# --- validating ------------------------------------------------------------------------------


class Matcher:
    """Existing members by e-mail, ID number and mobile, loaded once per import."""

    def __init__(self):
        self.by = {key: {} for key in MATCH_KEYS}
        for pk, email, id_number, mobile in Member.objects.values_list("pk", *MATCH_KEYS).iterator(chunk_size=5000):
            for key, value in (("email", email), ("id_number", id_number), ("mobile", mobile)):
                if value:
                    self.by[key].setdefault(value, pk)

    def match(self, values: dict) -> set[int]:
        return {self.by[key][values[key]] for key in MATCH_KEYS if values.get(key) and values[key] in self.by[key]}


def _categories() -> dict[str, MembershipCategory]:
    found = {}
    for category in MembershipCategory.objects.all():
        for name in (category.code, category.name_zh, category.name_en):
            if name:
                found[name.lower()] = category
    return found


def _status_for(term_end: datetime.date | None, today: datetime.date, grace_days: int) -> str:
    if term_end is None or term_end >= today:
        return MemberStatus.ACTIVE
    if term_end >= today - datetime.timedelta(days=grace_days):
        return MemberStatus.GRACE
    return MemberStatus.LAPSED


def validate(headers: list[str], rows: list[list], report: Report, *, today=None, progress=None) -> list[dict]:
    """Check every row; returns the planned writes ({"action", "values", "member_id", "row"})."""
    today = today or timezone.localdate()
    known = header_map()
    attributes = []
    for index, header in enumerate(headers):
        attribute = known.get(header.lower().replace(" ", "").replace("_", ""))
        if header and attribute is None:
            report.error(
                1,
                header,
                _("Unknown column “%(name)s”; rename it to one of the known headers or remove it.") % {"name": header},
            )
        if attribute in attributes:
            report.error(1, header, _("Column “%(name)s” appears twice.") % {"name": header})
        attributes.append(attribute if attribute not in attributes else None)
        report.columns.append({"header": header, "field": attribute or "", "index": index})
    if "name_zh" not in attributes:
        report.error(1, HEADER_OF["name_zh"], _("The file has no name column (姓名)."))
    if "category" not in attributes:
        report.error(1, HEADER_OF["category"], _("The file has no membership category column (会员类别)."))
    if not any(key in attributes for key in MATCH_KEYS):
        report.error(1, HEADER_OF["email"], _("The file needs an e-mail, ID number or mobile column to match members."))
    if report.errors:
        return []
    if not rows:
        raise ImportFileError(_("The file has a header but no rows."))
    categories = _categories()
    grace_days = MembershipSettings.current().grace_days
    matcher = Matcher()
    seen = {key: {} for key in MATCH_KEYS}
    numbers_in_file: dict[str, int] = {}
    plan = []
    for offset, raw in enumerate(rows):
        if progress and offset % PROGRESS_EVERY == 0:
            progress(offset / len(rows))
        line = offset + 2  # the header is row 1, as a spreadsheet numbers them
        errors_before = len(report.errors)
        values = _clean_row(raw, attributes, line, report, categories)
        for key in MATCH_KEYS:
            value = values.get(key)
            if value and value in seen[key]:
                report.error(
                    line,
                    HEADER_OF[key],
                    _("Same %(what)s as row %(row)d.") % {"what": HEADER_OF[key], "row": seen[key][value]},
                )
            elif value:
                seen[key][value] = line
        if values.get("number"):
            if values["number"] in numbers_in_file:
                report.error(
                    line,
                    HEADER_OF["number"],
                    _("Same member number as row %(row)d.") % {"row": numbers_in_file[values["number"]]},
                )
            numbers_in_file[values["number"]] = line
        if not any(values.get(key) for key in MATCH_KEYS) and len(report.errors) == errors_before:
            report.error(line, HEADER_OF["email"], _("Give at least an e-mail, ID number or mobile."))
        if len(report.errors) > errors_before:
            report.counts["rejected"] += 1
            report.rows.append({"row": line, "action": "rejected", "name": values.get("name_zh", "")})
            continue
        matches = matcher.match(values)
        if len(matches) > 1:
            report.error(
                line, HEADER_OF["email"], _("E-mail, ID number and mobile point to different existing members.")
            )
            report.counts["rejected"] += 1
            report.rows.append({"row": line, "action": "rejected", "name": values.get("name_zh", "")})
            continue
        member_id = next(iter(matches), None)
        if member_id is None and not values.get("status"):
            # A new member's status follows the expiry date; a known member's stays as it is.
            values["status"] = _status_for(values.get("term_end"), today, grace_days)
        plan.append({"row": line, "values": values, "member_id": member_id})
    _classify(plan, report)
    return plan


def _clean_row(raw: list, attributes: list, line: int, report: Report, categories: dict) -> dict:
    values = {}
    for index, attribute in enumerate(attributes):
        if attribute is None:
            continue
        cell = raw[index] if index < len(raw) else ""
        header = HEADER_OF[attribute]
        if isinstance(cell, str) and normalize.text(cell).startswith(("=", "@")):
            report.error(line, header, _("Formulas are not accepted; put the value itself in the cell."))
            continue
        try:
            values[attribute] = _clean_cell(attribute, cell, values, categories)
        except ValueError as exc:
            report.error(line, header, str(exc))
    if "name_zh" in values and not values["name_zh"]:
        report.error(line, HEADER_OF["name_zh"], _("The name is empty."))
    return values


def _clean_cell(attribute: str, cell, values: dict, categories: dict):
    if attribute in ("birth_date", "joined_on", "term_end"):
        return normalize.clean_date(cell)
    if attribute == "email":
        return normalize.clean_email(cell)
    if attribute == "mobile":
        return normalize.clean_mobile(str(cell) if isinstance(cell, (int, float)) else cell)
    if attribute == "gender":
        return normalize.clean_gender(cell)
    if attribute == "degree":
        return normalize.clean_choice(cell, normalize.DEGREE_WORDS, _("Unknown degree; use 学士/硕士/博士/其他."))
    if attribute == "id_type":
        return normalize.clean_choice(cell, normalize.ID_TYPE_WORDS, _("Unknown ID type; use 身份证/护照/其他."))
    if attribute == "id_number":
        id_type = values.get("id_type") or IdType.RESIDENT_ID
        cleaned = normalize.clean_id_number(id_type, str(cell))
        if cleaned and not values.get("id_type"):
            values["id_type"] = id_type
        return cleaned
    if attribute == "category":
        name = normalize.text(cell).lower()
        if name not in categories:
            raise ValueError(_("Unknown membership category “%(name)s”.") % {"name": normalize.text(cell)})
        return categories[name]
    if attribute == "status":
        word = normalize.text(cell).lower()
        if word and word not in STATUS_WORDS:
            raise ValueError(_("Unknown status “%(name)s”.") % {"name": normalize.text(cell)})
        return STATUS_WORDS.get(word, "")
    if attribute == "number":
        return normalize.text(cell).replace(" ", "").upper()
    return normalize.text(cell)


def _classify(plan: list[dict], report: Report) -> None:
    """Created, updated (which fields) or unchanged, comparing with the stored rows."""
    ids = [item["member_id"] for item in plan if item["member_id"]]
    current = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for row in Member.objects.filter(pk__in=chunk).values("pk", *WRITE_FIELDS):
            current[row["pk"]] = row
    wanted = [item["values"]["number"] for item in plan if item["member_id"] is None and item["values"].get("number")]
    taken = set()
    for start in range(0, len(wanted), 5000):
        taken.update(Member.objects.filter(number__in=wanted[start : start + 5000]).values_list("number", flat=True))
    for item in plan:
        values = item["values"]
        problem = ""
        if item["member_id"] is None:
            item["action"], item["changes"] = "created", {}
            if values.get("number") in taken:
                problem = _("Member number %(number)s belongs to another member.") % {"number": values["number"]}
        else:
            item["changes"] = _changes(values, current[item["member_id"]])
            item["action"] = "updated" if item["changes"] else "unchanged"
            if "number" in item["changes"] and current[item["member_id"]]["number"]:
                problem = _("This member already has number %(number)s.") % {
                    "number": current[item["member_id"]]["number"]
                }
        if problem:
            report.error(item["row"], HEADER_OF["number"], problem)
            item["action"] = "rejected"
        report.counts[item["action"]] += 1
        report.rows.append(
            {
                "row": item["row"],
                "action": item["action"],
                "name": values.get("name_zh", ""),
                "changes": sorted(HEADER_OF.get(c.removesuffix("_id"), c) for c in item["changes"]),
            }
        )
    report.rows.sort(key=lambda r: r["row"])


def _changes(values: dict, stored: dict) -> dict:
    """Fields the file changes; an empty cell never blanks a stored value."""
    changes = {}
    for attribute, value in values.items():
        column = "category_id" if attribute == "category" else attribute
        new = value.pk if attribute == "category" else value
        if new not in ("", None) and stored[column] != new:
            changes[column] = new
    return changes


# --- writing ---------------------------------------------------------------------------------


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def write(plan: list[dict], *, actor, source: str) -> None:
    """Apply a validated plan in the caller's transaction: new members with COPY (ids reserved
    from the sequence, so history and term rows go in the same way), updates by bulk_update."""
    now = timezone.now()
    creates = [item["values"] for item in plan if item["action"] == "created"]
    updates = [item for item in plan if item["action"] == "updated"]
    actor_id, actor_label = getattr(actor, "pk", None), (getattr(actor, "email", "") or "system")[:254]
    reason = _("Imported from %(file)s") % {"file": source}
    with connection.cursor() as cursor:
        if creates:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Member._meta.db_table, len(creates)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            member_columns = [
                "id",
                *WRITE_FIELDS,
                "name_en_key",
                "verify_token",
                "institution_representatives",
                "created_at",
                "updated_at",
            ]

            def member_rows():
                for pk, values in zip(ids, creates, strict=True):
                    row = [pk]
                    for name in WRITE_FIELDS:
                        if name == "category_id":
                            row.append(values["category"].pk)
                        elif name in ("birth_date", "joined_on", "term_start", "term_end", "number"):
                            row.append(values.get(name) or None)
                        else:
                            row.append(values.get(name) or "")
                    row += [(values.get("name_en") or "").lower(), secrets.token_urlsafe(16), "", now, now]
                    yield row

            _copy(cursor, Member._meta.db_table, member_columns, member_rows())
            _copy(
                cursor,
                StatusChange._meta.db_table,
                ["member_id", "from_status", "to_status", "actor_id", "actor_label", "reason", "at"],
                (
                    [pk, "", values["status"], actor_id, actor_label, reason, now]
                    for pk, values in zip(ids, creates, strict=True)
                ),
            )
            _copy(
                cursor,
                MemberTerm._meta.db_table,
                ["member_id", "category_id", "kind", "starts_on", "ends_on", "created_at"],
                (
                    [
                        pk,
                        values["category"].pk,
                        TermKind.IMPORT,
                        values.get("joined_on") or now.date(),
                        values.get("term_end"),
                        now,
                    ]
                    for pk, values in zip(ids, creates, strict=True)
                ),
            )
    if updates:
        members = Member.objects.in_bulk([item["member_id"] for item in updates])
        changed_fields = set()
        history = []
        for item in updates:
            member = members[item["member_id"]]
            for column, value in item["changes"].items():
                if column == "status" and value != member.status:
                    history.append(
                        StatusChange(
                            member=member,
                            from_status=member.status,
                            to_status=value,
                            actor_id=actor_id,
                            actor_label=actor_label,
                            reason=reason,
                        )
                    )
                setattr(member, column, value)
                changed_fields.add(column)
            member.name_en_key = member.name_en.lower()
        Member.objects.bulk_update(members.values(), sorted(changed_fields | {"name_en_key"}), batch_size=2000)
        StatusChange.objects.bulk_create(history, batch_size=2000)


def run_import(*, content: bytes, filename: str, commit: bool, actor, today=None, progress=None) -> Report:
    """Dry run (``commit=False``) or the real import of a file; the report says what happens.
    The write happens only for a file without any error, in one transaction."""
    report = Report()
    try:
        headers, rows, report.encoding = read_table(content, filename)
        plan = validate(headers, rows, report, today=today, progress=progress)
    except ImportFileError as exc:
        report.error(0, "", str(exc))
        return report
    if commit and report.acceptable:
        with transaction.atomic():
            write(plan, actor=actor, source=filename)
            record_audit(actor=actor, action="members.import", after={"file": filename, **report.counts})
        report.committed = True
    return report
