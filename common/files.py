"""Files of a society: stored under MEDIA_ROOT/<schema>/ and served only through ``download``.

There is no public media URL.  A file is downloadable by its owner and by staff with its
``staff_role``; the lookup runs in the current society's schema, so another society's id is
simply not found.
"""

import hashlib

from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404

from common.models import StoredFile
from common.permissions import has_role


def store_file(
    *, content: bytes, filename: str, mimetype: str, kind: str, owner=None, staff_role="admin"
) -> StoredFile:
    """Save ``content`` as a new StoredFile of the current society (in the caller's transaction)."""
    with transaction.atomic():
        stored = StoredFile(
            filename=filename,
            mimetype=mimetype,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            kind=kind,
            owner_id=getattr(owner, "pk", owner),
            staff_role=staff_role,
        )
        stored.file.save(filename, ContentFile(content), save=False)
        stored.save()
    return stored


def can_download(user, stored: StoredFile) -> bool:
    if not user.is_authenticated:
        return False
    return stored.owner_id == user.pk or has_role(user, stored.staff_role)


@login_required
def download(request, file_id: int):
    try:
        stored = StoredFile.objects.get(pk=file_id)
    except StoredFile.DoesNotExist:
        raise Http404 from None
    if not can_download(request.user, stored):
        # 404, not 403: a stranger must not learn that the id exists.
        raise Http404
    response = FileResponse(stored.file.open("rb"), content_type=stored.mimetype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(stored.filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
