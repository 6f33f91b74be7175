"""Typed access to decoded request parameters, with Stripe's wording for bad values."""

from __future__ import annotations

from .errors import invalid, missing_param

_MISSING = object()


class Params:
    """Read-only view of a decoded request; every getter raises Stripe-shaped 400s."""

    def __init__(self, data: dict | None = None, prefix: str = ""):
        self.data = data or {}
        self.prefix = prefix

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def name_of(self, name: str) -> str:
        return f"{self.prefix}[{name}]" if self.prefix else name

    def _raw(self, name, required):
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise missing_param(self.name_of(name))
            return _MISSING
        return value

    def str(self, name, *, required=False, default=None, choices=None):
        value = self._raw(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {value!r}", param=self.name_of(name), code="parameter_invalid_string")
        if choices and value not in choices:
            raise invalid(
                f"Invalid {self.name_of(name)}: must be one of {', '.join(choices)}",
                param=self.name_of(name),
                code="parameter_invalid",
            )
        return value

    def int(self, name, *, required=False, default=None, minimum=None):
        value = self._raw(name, required)
        if value is _MISSING or value == "":
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid(
                f"Invalid integer: {value}", param=self.name_of(name), code="parameter_invalid_integer"
            ) from None
        if minimum is not None and number < minimum:
            raise invalid(
                f"Invalid {self.name_of(name)}: must be at least {minimum}",
                param=self.name_of(name),
                code="parameter_invalid_integer",
            )
        return number

    def bool(self, name, *, default=None):
        value = self._raw(name, False)
        if value is _MISSING or value == "":
            return default
        if value in ("true", True):
            return True
        if value in ("false", False):
            return False
        raise invalid(f"Invalid boolean: {value}", param=self.name_of(name), code="parameter_invalid_boolean")

    def only(self, names: str) -> Params:
        """Reject keys outside ``names`` as Stripe does (``parameter_unknown``), for nested hashes."""
        allowed = set(names.split())
        for key in self.data:
            if key not in allowed:
                raise invalid(
                    f"Received unknown parameter: {self.name_of(key)}",
                    param=self.name_of(key),
                    code="parameter_unknown",
                )
        return self

    def dict(self, name, *, required=False) -> Params:
        value = self._raw(name, required)
        if value is _MISSING or value == "":
            return Params({}, self.name_of(name))
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {self.name_of(name)}", param=self.name_of(name), code="parameter_invalid")
        return Params(value, self.name_of(name))

    def list(self, name, *, required=False) -> list:
        value = self._raw(name, required)
        if value is _MISSING or value == "":
            return []
        if isinstance(value, dict):
            # A single "name[key]=..." is not a list; Stripe calls that an invalid array.
            raise invalid(f"Invalid array: {self.name_of(name)}", param=self.name_of(name), code="parameter_invalid")
        return value if isinstance(value, list) else [value]

    def dicts(self, name, *, required=False) -> list[Params]:
        items = self.list(name, required=required)
        if required and not items:
            raise missing_param(self.name_of(name))
        prefix = self.name_of(name)
        return [Params(item if isinstance(item, dict) else {}, f"{prefix}[{i}]") for i, item in enumerate(items)]

    def metadata(self, current: dict | None = None) -> dict:
        """Stripe's metadata rules: merge on update, an empty value deletes a key, ``metadata=`` clears all."""
        value = self.data.get("metadata", _MISSING)
        result = dict(current or {})
        if value is _MISSING:
            return result
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid("Invalid metadata: must be an object", param="metadata")
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid(f"Invalid metadata[{key}]: must be a string", param=f"metadata[{key}]")
            if len(key) > 40 or len(item) > 500:
                raise invalid(
                    "Metadata keys are limited to 40 characters and values to 500 characters", param=f"metadata[{key}]"
                )
            if item == "":
                result.pop(key, None)
            else:
                result[key] = item
        if len(result) > 50:
            raise invalid("You can specify up to 50 keys in metadata", param="metadata")
        return result
