"""meetings: pages on a society's site (mounted at /meetings/)."""

app_name = "meetings"

urlpatterns: list = []
