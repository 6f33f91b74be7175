"""board: pages on the platform host (mounted at /board/)."""

app_name = "board_platform"

urlpatterns: list = []
