"""billing: pages on a society's site (mounted at /billing/)."""

app_name = "billing"

urlpatterns: list = []
