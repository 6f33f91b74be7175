from django import template
from django.urls import NoReverseMatch, reverse

from common.navigation import CONSOLE_SECTIONS, MEMBER_SECTIONS, PUBLIC_SECTIONS
from common.permissions import has_role

register = template.Library()

_GROUPS = {"console": CONSOLE_SECTIONS, "member": MEMBER_SECTIONS, "public": PUBLIC_SECTIONS}


@register.simple_tag(takes_context=True)
def sections(context, group: str):
    """The sections of ``group`` this user may open, as (url, section) pairs."""
    request = context.get("request")
    user = getattr(request, "user", None)
    shown = []
    for section in _GROUPS[group]:
        if section.roles and not (user is not None and has_role(user, *section.roles)):
            continue
        if group == "member" and not (user is not None and user.is_authenticated):
            continue
        try:
            shown.append((reverse(section.url_name), section))
        except NoReverseMatch:
            continue
    return shown
