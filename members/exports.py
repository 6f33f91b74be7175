"""Exports: spreadsheets of a filtered member list, and a member's own data download."""

from members.models import PROFILE_FIELDS, Member
from members.normalize import neutralise_cell
from members.resources import MemberResource
from members.selectors import member_invoices


def export_dataset(queryset, *, show_personal: bool):
    """A tablib Dataset of ``queryset`` with personal fields masked unless ``show_personal``,
    and every cell a spreadsheet would run as a formula neutralised."""
    dataset = MemberResource(show_personal=show_personal).export(queryset.select_related("category"))
    cleaned = [tuple(neutralise_cell(value) for value in row) for row in dataset]
    headers = dataset.headers
    dataset.wipe()
    dataset.headers = headers
    for row in cleaned:
        dataset.append(row)
    return dataset


def personal_data(member: Member) -> dict:
    """What a member may download about themselves (GDPR/PIPL-style access)."""
    fields = [
        "number",
        *PROFILE_FIELDS,
        "status",
        "joined_on",
        "term_start",
        "term_end",
    ]
    from common.audit import _jsonable

    return {
        "member": {name: _jsonable(getattr(member, name)) for name in fields} | {"category": member.category.code},
        "history": [
            {"from": h.from_status, "to": h.to_status, "at": h.at.isoformat(), "reason": h.reason}
            for h in member.history.all()
        ],
        "terms": [
            {"kind": t.kind, "category": t.category.code, "start": _jsonable(t.starts_on), "end": _jsonable(t.ends_on)}
            for t in member.terms.select_related("category")
        ],
        "charges": [
            {
                "purpose": c.purpose,
                "amount": str(c.amount),
                "currency": c.currency,
                "status": c.status,
                "created_at": c.created_at.isoformat(),
            }
            for c in member.charges.all()
        ],
        "invoices": [
            {
                "number": i.number,
                "purpose": i.purpose,
                "total": str(i.total),
                "currency": i.currency,
                "issued_at": _jsonable(i.issued_at),
            }
            for i in member_invoices(member)
        ],
        "applications": [
            {"category": a.category.code, "status": a.status, "submitted_at": _jsonable(a.submitted_at)}
            for a in member.applications.select_related("category")
        ],
    }
