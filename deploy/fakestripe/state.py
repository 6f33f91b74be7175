"""The fake's whole state: objects by id with their owning account, idempotency results, links.

One re-entrant lock guards everything. Request handlers hold it for the duration of one API call
(so an API call is atomic, like a Stripe request) and release it before any webhook goes out,
because a webhook receiver usually calls back into the API.
"""

import json
import os
import threading
import time
from pathlib import Path

from .errors import no_such

IDEMPOTENCY_TTL = 24 * 3600  # Stripe keeps idempotency results for at least 24 hours.
IDEMPOTENCY_KEEP = 5000  # the stripe library sends a key with every POST; keep the state file small
STATE_VERSION = 1


class Store:
    def __init__(self, path: Path | None = None):
        self.lock = threading.RLock()
        self.path = Path(path) if path else None
        self._clear()
        if self.path and self.path.exists():
            self._load()

    def _clear(self) -> None:
        # id -> {"obj": stripe object, "account": connected account id or None, "seq": int, "extra": {}}
        # "extra" holds what Stripe knows but does not show (line items, decline behaviour, ...).
        self.records: dict[str, dict] = {}
        self.seq = 0
        self.idempotency: dict[str, dict] = {}
        self.links: dict[str, dict] = {}  # account-link token -> {"account", "return_url", ...}

    # -- objects -------------------------------------------------------------------------------

    def add(self, obj: dict, account: str | None, **extra) -> dict:
        self.seq += 1
        self.records[obj["id"]] = {"obj": obj, "account": account, "seq": self.seq, "extra": extra}
        return obj

    def record(self, object_id: str) -> dict | None:
        return self.records.get(object_id) if isinstance(object_id, str) else None

    def get(self, object_id, account, kind: str, *, label=None, param="id", allow_deleted=False) -> dict:
        """The object if it exists on ``account`` and is a ``kind``; Stripe's 404 otherwise."""
        rec = self.record(object_id)
        if (
            rec is None
            or rec["account"] != account
            or rec["obj"].get("object") != kind
            or (rec["extra"].get("deleted") and not allow_deleted)
        ):
            raise no_such(label or kind, object_id, param=param)
        return rec["obj"]

    def extra(self, object_id: str) -> dict:
        return self.records[object_id]["extra"]

    def owner(self, object_id: str) -> str | None:
        return self.records[object_id]["account"]

    def select(self, kind: str, account, where=None) -> list[dict]:
        """Objects of ``kind`` on ``account``, newest first (Stripe's list order)."""
        found = [
            rec
            for rec in self.records.values()
            if rec["account"] == account
            and rec["obj"].get("object") == kind
            and not rec["extra"].get("deleted")
            and (where is None or where(rec["obj"]))
        ]
        found.sort(key=lambda rec: rec["seq"], reverse=True)
        return [rec["obj"] for rec in found]

    def all_of(self, kind: str) -> list[dict]:
        """Objects of ``kind`` on every account, oldest first (for control endpoints)."""
        found = sorted((r for r in self.records.values() if r["obj"].get("object") == kind), key=lambda r: r["seq"])
        return [rec["obj"] for rec in found]

    # -- idempotency ---------------------------------------------------------------------------

    def idempotent_result(self, key: str) -> dict | None:
        entry = self.idempotency.get(key)
        if entry and entry["created"] < time.time() - IDEMPOTENCY_TTL:
            del self.idempotency[key]
            return None
        return entry

    def remember(self, key: str, fingerprint: str, status: int, body: str, request_id: str) -> None:
        self.idempotency[key] = {
            "fingerprint": fingerprint,
            "status": status,
            "body": body,
            "request_id": request_id,
            "created": time.time(),
        }

    def _prune_idempotency(self) -> None:
        cutoff = time.time() - IDEMPOTENCY_TTL
        entries = sorted(self.idempotency.items(), key=lambda item: item[1]["created"], reverse=True)
        self.idempotency = {key: e for key, e in entries[:IDEMPOTENCY_KEEP] if e["created"] >= cutoff}

    # -- persistence ---------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self._clear()
            self.save()

    def save(self) -> None:
        """Write the whole state atomically; cheap enough at demo scale, and survives kill -9."""
        if not self.path:
            return
        with self.lock:
            self._prune_idempotency()
            data = {
                "version": STATE_VERSION,
                "seq": self.seq,
                "records": self.records,
                "idempotency": self.idempotency,
                "links": self.links,
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)

    def _load(self) -> None:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if data.get("version") != STATE_VERSION:
            raise RuntimeError(f"{self.path}: unknown fake Stripe state version {data.get('version')}")
        self.seq = data["seq"]
        self.records = data["records"]
        self.idempotency = data["idempotency"]
        self.links = data["links"]
