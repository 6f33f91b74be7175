"""``POST /stripe/webhook/`` on the platform host: one endpoint for every Stripe event.

- The signature is verified on the raw body; a bad one gets 400 and nothing is written.
- Each event is stored once (unique id).  A duplicate delivery of a processed event is answered
  200 at once; a concurrent duplicate waits on the row lock and then sees it processed.
- The society is found through ``StripeObject`` (Connect account or object id → society) and
  the handler runs inside that society's schema, with the event row locked.
- Handlers treat the payload as a hint, re-fetch the object from Stripe and lock their own
  rows; a lock timeout answers 503 so that Stripe retries later.

Handlers are named in ``HANDLERS``: a Connect event (it has ``account``) goes to the society's
dues; a platform event (no account) to platform billing.
"""

import json
import logging

import stripe
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from billing.models import StripeEvent, StripeObject

logger = logging.getLogger(__name__)

HANDLERS = {
    "connect": "dues.webhooks.handle_event",
    "platform": "billing.subscriptions.handle_event",
}
LOCK_TIMEOUT = "5s"


class EventIgnored(Exception):
    """Raised by a handler for an event it does not act on (recorded as ignored)."""


def _society_for(payload: dict):
    account = payload.get("account") or ""
    candidates = [account] if account else []
    obj = (payload.get("data") or {}).get("object") or {}
    for key in ("id", "customer", "payment_intent", "subscription", "charge"):
        value = obj.get(key)
        if isinstance(value, str):
            candidates.append(value)
    metadata = obj.get("metadata") or {}
    mapped = StripeObject.objects.filter(stripe_id__in=candidates).select_related("society").first()
    if mapped and mapped.society:
        return mapped.society
    schema = metadata.get("xuehui_schema")
    if schema:
        from tenants.models import Society

        return Society.objects.filter(schema_name=schema).first()
    return None


def _handler_for(payload: dict):
    path = getattr(settings, "STRIPE_EVENT_HANDLERS", HANDLERS)["connect" if payload.get("account") else "platform"]
    try:
        return import_string(path)
    except ImportError:
        return None


@csrf_exempt
@require_POST
def stripe_webhook(request):
    body = request.body
    try:
        event = stripe.Webhook.construct_event(
            body, request.headers.get("Stripe-Signature", ""), settings.STRIPE_WEBHOOK_SECRET
        )
    except (ValueError, stripe.SignatureVerificationError):
        return JsonResponse({"error": "invalid signature"}, status=400)
    payload = json.loads(body)
    StripeEvent.objects.get_or_create(
        stripe_id=event["id"],
        defaults={"type": payload.get("type", ""), "account": payload.get("account") or "", "payload": payload},
    )
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            row = StripeEvent.objects.select_for_update().get(stripe_id=event["id"])
            if row.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
                return JsonResponse({"status": row.status, "duplicate": True})
            row.attempts += 1
            society = _society_for(payload)
            row.society = society
            handler = _handler_for(payload)
            if handler is None or (payload.get("account") and society is None):
                row.status = StripeEvent.Status.IGNORED
                row.error = "no handler" if handler is None else "no society for this account"
            else:
                try:
                    with transaction.atomic():
                        if society is not None:
                            with schema_context(society.schema_name):
                                handler(payload, society=society)
                        else:
                            handler(payload, society=None)
                    row.status = StripeEvent.Status.PROCESSED
                    row.error = ""
                except EventIgnored as exc:
                    row.status = StripeEvent.Status.IGNORED
                    row.error = str(exc)
            row.processed_at = timezone.now()
            row.save()
            connection.set_schema_to_public()
            return JsonResponse({"status": row.status})
    except OperationalError as exc:
        # Lock timeout (a concurrent delivery holds the row): let Stripe retry.
        logger.warning("stripe webhook %s: %s", event["id"], exc)
        return HttpResponse("busy, retry", status=503)
    except Exception as exc:
        logger.exception("stripe webhook %s failed", event["id"])
        StripeEvent.objects.filter(stripe_id=event["id"]).update(
            status=StripeEvent.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}"
        )
        return HttpResponse("handler failed", status=500)
