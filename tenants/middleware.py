"""Host → society routing that costs no SQL on the hot path.

Stock django-tenants looks the domain up with one query per request; here the answer is kept
in a small per-process table for a minute (societies and domains change rarely, and a change
is visible everywhere within that minute; :func:`forget_host` clears it at once in the process
that made the change).  The only statement tenancy adds to a request is the single
``SET search_path`` issued before the view's first query.
"""

from django.conf import settings
from django.db import connection
from django.http import HttpResponseNotFound
from django.template.loader import render_to_string
from django.urls import set_urlconf
from django_tenants.utils import get_public_schema_name, remove_www

from common.ttlcache import TTLCache
from tenants.models import Domain, Society

_FIELDS = [f.attname for f in Society._meta.concrete_fields]
_hosts = TTLCache(60, negative_ttl=5)


def _lookup(hostname: str) -> dict | None:
    def load():
        connection.set_schema_to_public()
        domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
        return None if domain is None else {name: getattr(domain.tenant, name) for name in _FIELDS}

    return _hosts.get_or_load(hostname, load)


def forget_host(hostname: str | None = None) -> None:
    _hosts.forget(hostname)


def society_for_host(hostname: str) -> Society | None:
    values = _lookup(hostname)
    if values is None:
        return None
    society = Society(**values)
    society._state.adding = False
    return society


class SocietyMiddleware:
    """Selects the schema and URLconf from the host; an unknown host is a 404, never the platform."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        hostname = remove_www(request.get_host().split(":")[0]).lower()
        society = society_for_host(hostname)
        if society is None:
            # Rendered without the request: no session, CSRF or platform data on a stranger's host.
            return HttpResponseNotFound(render_to_string("unknown_host.html", {"hostname": hostname}))
        society.domain_url = hostname
        request.tenant = society
        request.society = None if society.schema_name == get_public_schema_name() else society
        connection.set_tenant(society)
        if request.society is None:
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
        return self.get_response(request)
