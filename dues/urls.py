"""dues: pages on a society's site (mounted at /dues/)."""

app_name = "dues"

urlpatterns: list = []
