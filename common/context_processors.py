from django.conf import settings

from common.permissions import STAFF_ROLES, roles_of


def site(request):
    society = getattr(request, "society", None)
    roles = roles_of(request.user) if society is not None and hasattr(request, "user") else frozenset()
    return {
        "society": society,
        "is_platform": society is None,
        "my_roles": roles,
        "is_society_staff": bool(roles & set(STAFF_ROLES)),
        "platform_url": f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{settings.SITE_PORT_SUFFIX}/",
    }
