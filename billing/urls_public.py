"""billing: pages on the platform host (mounted at /billing/)."""

app_name = "billing_platform"

urlpatterns: list = []
