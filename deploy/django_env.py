"""The environment every project process gets: embedded services' URLs plus defaults."""

import os
import sys
from pathlib import Path

from deploy import services

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def prepare(*, debug: bool) -> dict:
    """Start embedded services when needed and return the environment for child processes."""
    env = dict(os.environ)
    env.update(services.up())
    env.setdefault("DJANGO_SETTINGS_MODULE", "saas.settings")
    env.setdefault("PORT", "8000")
    if debug:
        env.setdefault("DEBUG", "1")
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    os.environ.update(env)
    return env


def ensure_database(env: dict, name: str) -> None:
    """Create the project's database on the server when it is missing (the embedded server
    starts with only ``postgres``).  A DATABASE_URL that names a database is used as it is."""
    import dj_database_url
    import psycopg

    url = env["DATABASE_URL"]
    if dj_database_url.parse(url).get("NAME") not in ("", None, "postgres") and not env.get("DATABASE_NAME"):
        return
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
