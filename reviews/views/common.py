"""Guards shared by the reviews pages."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from reviews.models import Call
from reviews.selectors import is_chair


def chair_required(view):
    """The call's chair (organiser role, or a chair member of the call): ``view(request, call, ...)``."""

    @wraps(view)
    def wrapper(request, call_id: int, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        call = get_object_or_404(Call.objects.select_related("meeting"), pk=call_id)
        if not is_chair(request.user, call):
            raise PermissionDenied
        return view(request, call, *args, **kwargs)

    return wrapper


def pdf_response(stored, filename: str | None = None):
    from urllib.parse import quote

    from django.http import FileResponse

    response = FileResponse(stored.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename or stored.filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
