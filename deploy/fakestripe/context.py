"""What one operation (an API call, a hosted-page click, a control call) works with."""

import copy
from dataclasses import dataclass, field

from . import objects
from .state import Store


@dataclass
class Ctx:
    """The store seen from one account, plus the events this operation emits.

    Events are only recorded here; the caller hands ``emitted`` to the webhook dispatcher after
    releasing the store lock.
    """

    store: Store
    account: str | None
    public_url: str
    webhooks_enabled: bool = False
    request: dict = field(default_factory=lambda: {"id": None, "idempotency_key": None})
    emitted: list = field(default_factory=list)
    dirty: bool = True  # read-only API calls clear this so that they do not rewrite the state file

    def get(self, object_id, kind: str, **kwargs) -> dict:
        return self.store.get(object_id, self.account, kind, **kwargs)

    def add(self, obj: dict, **extra) -> dict:
        return self.store.add(obj, self.account, **extra)

    def extra(self, object_id: str) -> dict:
        return self.store.extra(object_id)

    def select(self, kind: str, where=None) -> list[dict]:
        return self.store.select(kind, self.account, where)

    def on(self, account: str | None) -> "Ctx":
        """The same operation acting on another account (control calls act for the object's owner)."""
        return Ctx(self.store, account, self.public_url, self.webhooks_enabled, self.request, self.emitted)

    def emit(self, event_type: str, obj: dict, previous: dict | None = None) -> dict:
        # data.object is a snapshot: later changes to obj must not rewrite history.
        evt = objects.event(
            event_type,
            copy.deepcopy(obj),
            account=self.account,
            request=self.request,
            previous=copy.deepcopy(previous),
            pending=1 if self.webhooks_enabled else 0,
        )
        self.store.add(evt, self.account)
        self.emitted.append(evt["id"])
        return evt

    def emit_update(self, event_type: str, obj: dict, before: dict) -> dict | None:
        """Emit ``event_type`` with previous_attributes, unless nothing changed."""
        previous = objects.changed_fields(before, obj)
        return self.emit(event_type, obj, previous) if previous else None
