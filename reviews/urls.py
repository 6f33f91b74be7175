"""reviews: pages on a society's site (mounted at /reviews/)."""

from django.urls import path

from reviews.views import author, chair, exports, reviewer

app_name = "reviews"

urlpatterns = [
    path("", author.my, name="my"),
    path("calls/<int:call_id>/", author.call_detail, name="call"),
    path("calls/<int:call_id>/submit/", author.submit, name="submit"),
    path("papers/<int:submission_id>/", author.paper, name="paper"),
    path("papers/<int:submission_id>/edit/", author.edit, name="edit"),
    path("papers/<int:submission_id>/withdraw/", author.withdraw, name="withdraw"),
    path("papers/<int:submission_id>/pdf/", author.paper_pdf, name="paper_pdf"),
    path("papers/<int:submission_id>/conflicts/", author.declare_conflict, name="declare_conflict"),
    path("papers/<int:submission_id>/camera-ready/", author.camera_ready, name="camera_ready"),
    path("papers/<int:submission_id>/discussion/", reviewer.discuss, name="discuss"),
    path("invitations/<str:token>/", reviewer.invitation, name="invitation"),
    path("calls/<int:call_id>/bids/", reviewer.bids, name="bids"),
    path("reviews/<int:assignment_id>/", reviewer.review, name="review"),
    path("reviews/<int:assignment_id>/pdf/", reviewer.review_pdf, name="review_pdf"),
    path("console/", chair.console, name="console"),
    path("console/<int:call_id>/", chair.call_console, name="call_console"),
    path("console/<int:call_id>/settings/", chair.call_settings, name="call_settings"),
    path("console/<int:call_id>/committee/", chair.committee, name="committee"),
    path("console/<int:call_id>/assignment/", chair.assignment, name="assignment"),
    path("console/<int:call_id>/papers/<int:submission_id>/", chair.chair_paper, name="chair_paper"),
    path("console/<int:call_id>/notifications/", chair.notifications, name="notifications"),
    path("console/<int:call_id>/programme.<str:fmt>", exports.programme, name="programme"),
    path("console/<int:call_id>/abstracts.pdf", exports.abstract_book, name="abstract_book"),
]
