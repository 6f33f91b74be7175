"""Stripe's published example objects (openapi ``fixtures3.json``, MIT), used as templates.

Every object the fake returns starts as a deep copy of Stripe's own example for its resource, so
field names and nesting match the real API. The full file is read from the shared folder beside
the project when it exists; otherwise from the small vendored subset ``fixtures.json`` (same
licence, see ``FIXTURES_LICENSE``).
"""

import copy
import json
import os
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDORED = HERE / "fixtures.json"

# The resources the fake builds; the vendored subset holds exactly these.
KINDS = (
    "account",
    "account_link",
    "application_fee",
    "balance_transaction",
    "charge",
    "checkout.session",
    "customer",
    "deleted_customer",
    "deleted_product",
    "event",
    "invoice",
    "invoice_payment",
    "invoiceitem",
    "item",
    "line_item",
    "payment_intent",
    "payment_method",
    "plan",
    "price",
    "product",
    "refund",
    "setup_intent",
    "subscription",
    "subscription_item",
)


def shared_fixtures_path() -> Path | None:
    """``$FAKESTRIPE_FIXTURES``, else the first ``shared/stripe/fixtures3.json`` found walking up."""
    env = os.environ.get("FAKESTRIPE_FIXTURES")
    if env:
        return Path(env)
    for parent in HERE.parents:
        candidate = parent / "shared" / "stripe" / "fixtures3.json"
        if candidate.is_file():
            return candidate
    return None


@cache
def _resources(path: str | None) -> dict:
    source = Path(path) if path else VENDORED
    resources = json.loads(source.read_text(encoding="utf-8"))["resources"]
    lacking = [kind for kind in KINDS if kind not in resources]
    if lacking:
        raise RuntimeError(f"{source} lacks Stripe fixtures for: {', '.join(lacking)}")
    return resources


def load(path: Path | None = None) -> dict:
    chosen = path or shared_fixtures_path()
    return _resources(str(chosen) if chosen else None)


def template(kind: str) -> dict:
    """A fresh deep copy of Stripe's example object for ``kind``."""
    return copy.deepcopy(load()[kind])
