"""Errors in Stripe's JSON shape, raised anywhere below the HTTP layer and rendered by it."""


class StripeError(Exception):
    """An API error: ``status`` is the HTTP code, ``body()`` is ``{"error": {...}}`` as Stripe sends it."""

    def __init__(self, status: int, message: str, *, type="invalid_request_error", code=None, param=None, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra

    def body(self) -> dict:
        error = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param=None, code=None) -> StripeError:
    return StripeError(400, message, param=param, code=code)


def missing_param(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


# Stripe names most objects by their "object" value in this message, a few by their class name.
_MISSING_LABELS = {"payment_method": "PaymentMethod", "setup_intent": "setupintent"}


def no_such(kind: str, object_id: str, param="id") -> StripeError:
    """404 for an unknown or foreign id; Stripe never says the object exists on another account."""
    label = _MISSING_LABELS.get(kind, kind)
    return StripeError(404, f"No such {label}: '{object_id}'", code="resource_missing", param=param)


def unexpected_state(message: str) -> StripeError:
    return StripeError(400, message, code="payment_intent_unexpected_state")


def unauthorized(message: str) -> StripeError:
    # Stripe answers a bad key with 401 but the ordinary invalid_request_error type.
    return StripeError(401, message)
