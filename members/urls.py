"""members: pages on a society's site (mounted at /members/)."""

app_name = "members"

urlpatterns: list = []
