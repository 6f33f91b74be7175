"""A society's own site (<slug>.BASE_DOMAIN)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from board import api as board_api
from common import api, files
from common import views as common_views

api_v1 = [
    path("society/", api.society_detail, name="api_society"),
    path("me/", api.me, name="api_me"),
    path("", include("members.api")),
    path("board/", board_api.society_figures, name="api_board"),
    path("reviews/", include("reviews.api")),
    path("meetings/", include("meetings.api_urls")),
]

urlpatterns = [
    path("", common_views.society_home, name="home"),
    path("console/", common_views.console, name="console"),
    path("console/roles/", common_views.roles, name="console_roles"),
    path("console/roles/<int:assignment_id>/revoke/", common_views.revoke, name="console_role_revoke"),
    path("console/api-tokens/", common_views.api_tokens, name="console_api_tokens"),
    path("console/api-tokens/<int:token_id>/revoke/", common_views.api_token_revoke, name="console_api_token_revoke"),
    path("console/audit/", common_views.audit_log, name="console_audit"),
    path("files/<int:file_id>/", files.download, name="file_download"),
    path("members/", include("members.urls")),
    path("dues/", include("dues.urls")),
    path("meetings/", include("meetings.urls")),
    path("reviews/", include("reviews.urls")),
    path("board/", include("board.urls")),
    path("billing/", include("billing.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("", include("saas.urls_common")),
]
