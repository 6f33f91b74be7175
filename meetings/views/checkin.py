"""The on-site check-in desk: scan a ticket with the device camera or search by name/phone."""

from django.shortcuts import get_object_or_404, render

from common.models import Role
from common.permissions import role_required
from meetings import selectors
from meetings.models import Meeting
from meetings.services.checkin import check_in
from meetings.views.common import retry_later_on_busy


@role_required(Role.ORGANISER)
@retry_later_on_busy
def checkin(request, slug):
    meeting = get_object_or_404(Meeting, slug=slug)
    result = None
    if request.method == "POST":
        registration_id = request.POST.get("registration")
        result = check_in(
            meeting=meeting,
            ticket_code=request.POST.get("code", ""),
            registration_id=int(registration_id) if (registration_id or "").isdigit() else None,
            actor=request.user,
        )
    query = request.GET.get("q", "").strip()
    found = list(selectors.checkin_search(meeting, query)) if query else []
    stats = selectors.meeting_statistics(meeting)
    return render(
        request,
        "meetings/console/checkin.html",
        {
            "meeting": meeting,
            "result": result,
            "query": query,
            "found": found,
            "stats": stats,
        },
    )
