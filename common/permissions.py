"""Per-society roles, checked on every staff page of a society site."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from common.models import Role, RoleAssignment

STAFF_ROLES = (Role.ADMIN, Role.FINANCE, Role.ORGANISER)


def roles_of(user) -> frozenset[str]:
    """The user's roles in the current society (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_society_roles", None)
    if cached is None:
        cached = frozenset(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
        user._society_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    """True when the user holds any of ``roles`` here; the secretariat admin holds them all."""
    mine = roles_of(user)
    return Role.ADMIN in mine or any(role in mine for role in roles)


def role_required(*roles: str):
    """View decorator: anonymous users go to login, others without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
