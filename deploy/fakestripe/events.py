"""Events: retrieve and list, as Stripe keeps them for 30 days (the fake keeps them all)."""

from .routing import route


@route("GET", "/v1/events/{event_id}")
def retrieve_event(ctx, p, event_id):
    return ctx.get(event_id, "event")


@route("GET", "/v1/events", "type types delivery_success", listing=True)
def list_events(ctx, p):
    kind, kinds = p.str("type"), p.list("types")

    def wanted(event):
        # "type" accepts Stripe's "*" wildcard, as in "charge.*".
        if kind and not (event["type"] == kind or (kind.endswith("*") and event["type"].startswith(kind[:-1]))):
            return False
        return not kinds or event["type"] in kinds

    return ctx.select("event", wanted)
