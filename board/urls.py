"""board: pages on a society's site (mounted at /board/)."""

app_name = "board"

urlpatterns: list = []
