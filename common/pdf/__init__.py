"""Document renderers: pure functions over plain values, no Django (Celery tasks, benchmarks).

Every document kind has ``generate(data) -> (filename, mimetype, bytes)``; ``data`` is the kind's
dataclass or the same as a plain dict.  Same input, same bytes (the stored file's hash is kept).

=================  ===============================  ===========================================
kind               module                           data
=================  ===============================  ===========================================
invoice / credit   ``common.pdf.invoice``           ``InvoiceDocument`` (kind invoice,
note / receipt                                      credit_note, receipt)
badge              ``common.pdf.badge``             ``Badge``; ``generate_bulk(badges)``
membership card    ``common.pdf.card``              ``MembershipCard``; ``generate_bulk(cards)``
certificate        ``common.pdf.certificate``       ``AttendanceCertificate``
=================  ===============================  ===========================================

Chinese text uses an embedded TrueType subset (``common.pdf.fonts``; Debian ``fonts-wqy-zenhei``).
"""

from importlib import import_module

RENDERERS = {
    "invoice": "common.pdf.invoice",
    "credit_note": "common.pdf.invoice",
    "receipt": "common.pdf.invoice",
    "badge": "common.pdf.badge",
    "membership_card": "common.pdf.card",
    "certificate": "common.pdf.certificate",
}


def generate(kind: str, data) -> tuple[str, str, bytes]:
    """``generate("receipt", snapshot)``: the renderer of ``kind``; for invoices, credit notes and
    receipts the snapshot's own ``kind`` must agree."""
    try:
        module = import_module(RENDERERS[kind])
    except KeyError:
        raise ValueError(f"unknown document kind {kind!r}; one of {', '.join(RENDERERS)}") from None
    if RENDERERS[kind] == "common.pdf.invoice":
        snapshot_kind = data.get("kind") if isinstance(data, dict) else getattr(data, "kind", None)
        if snapshot_kind != kind:
            raise ValueError(f"document kind {kind!r} but the snapshot says {snapshot_kind!r}")
    return module.generate(data)
