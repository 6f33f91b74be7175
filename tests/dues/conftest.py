"""The dues fixtures live in fixtures.py so that browser tests can import them too
(``fake_stripe`` itself is offered to every test by tests/conftest.py)."""

from tests.dues.fixtures import BUYER, connect_society, issue, paused_worker, settled_tasks  # noqa: F401  (fixtures)
