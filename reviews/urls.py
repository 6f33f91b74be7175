"""reviews: pages on a society's site (mounted at /reviews/)."""

app_name = "reviews"

urlpatterns: list = []
