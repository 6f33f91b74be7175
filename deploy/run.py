"""``make run``: services, the fake Stripe server, migrations, demo data, then web + Celery worker + beat.

Ctrl-C stops everything, the embedded PostgreSQL and Redis included; data stays in .data/.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from deploy import services
from deploy.django_env import ROOT, VENV_BIN, ensure_database, prepare

DATA = services.DATA


def manage(env, *args, quiet=False):
    cmd = [sys.executable, str(ROOT / "manage.py"), *args]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL if quiet else None)


def main() -> int:
    env = prepare(debug=True)
    try:
        return serve(env)
    except subprocess.CalledProcessError as exc:
        print(f"\n{' '.join(exc.cmd[1:])} failed (exit {exc.returncode}); stopping.", file=sys.stderr)
        return 1
    finally:
        services.down()
        print(f"Stopped. Data is kept in {DATA}; `make run` starts again where you left off.")


def wait_for(url: str, timeout: float = 15.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def serve(env: dict) -> int:
    children: list[subprocess.Popen] = []
    try:
        return _serve(env, children)
    finally:
        stop_children(children)


def _serve(env: dict, children: list[subprocess.Popen]) -> int:
    ensure_database(env, env.get("DATABASE_NAME", "xuehui"))
    port = env["PORT"]
    base = env.get("BASE_DOMAIN", "localhost")
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "mail").mkdir(exist_ok=True)
    logs = DATA / "logs"
    logs.mkdir(exist_ok=True)

    def start(name, cmd):
        log = open(logs / f"{name}.log", "ab")
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        children.append(proc)
        return proc

    fake_stripe = not env.get("STRIPE_SECRET_KEY")
    if fake_stripe:
        # No real Stripe account: the fake server plays Stripe (hosted checkout, signed webhooks).
        # It starts first so that the demo societies can be connected to it before the site opens.
        env["STRIPE_API_BASE"] = "http://127.0.0.1:12111"
        start(
            "fakestripe",
            [
                sys.executable,
                "-m",
                "deploy.fakestripe",
                "--port",
                "12111",
                "--data-dir",
                str(DATA / "fakestripe"),
                "--webhook-url",
                f"http://{base}:{port}/stripe/webhook/",
                "--webhook-secret",
                env.get("STRIPE_WEBHOOK_SECRET", "whsec_xuehui_local_fake"),
                "--public-url",
                "http://localhost:12111",
            ],
        )
    print("• migrating …", flush=True)
    manage(env, "migrate_schemas", "--noinput", quiet=True)
    manage(env, "collectstatic", "--noinput", quiet=True)
    seeded = DATA / ".seeded"
    if not seeded.exists():
        print("• seeding the demo …", flush=True)
        manage(env, "seed_demo")
        seeded.touch()
    if fake_stripe:
        if wait_for(f"{env['STRIPE_API_BASE']}/_fake/health"):
            # Every start, so that a demo seeded before this step existed is connected too.
            manage(env, "connect_fake_stripe")
        else:
            print(f"the fake Stripe server did not start (see {logs / 'fakestripe.log'}); bank transfer only")
    start(
        "web",
        [
            str(VENV_BIN / "gunicorn"),
            "saas.wsgi",
            "--bind",
            f"0.0.0.0:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ],
    )
    start("worker", [str(VENV_BIN / "celery"), "-A", "saas", "worker", "--concurrency", "2", "--loglevel", "INFO"])
    start(
        "beat",
        [
            str(VENV_BIN / "celery"),
            "-A",
            "saas",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(DATA / "celerybeat-schedule"),
        ],
    )
    print(
        f"""
Xuehui is running.
  Platform:   http://{base}:{port}/
  Societies:  http://ccs.{base}:{port}/  http://ccf.{base}:{port}/  http://cma.{base}:{port}/
  API docs:   http://ccs.{base}:{port}/api/docs/
  Health:     http://{base}:{port}/healthz
  Demo logins (password: xuehui-demo):
    operator@demo.xuehui.cn        platform operator
    admin.ccs@demo.xuehui.cn       secretariat administrator of 中国化学会 (also admin.ccf, admin.cma)
    finance.ccs@demo.xuehui.cn     finance staff;  organiser.ccs@demo.xuehui.cn  meeting organiser
    wang.fang@demo.xuehui.cn       a member of all three societies
  E-mails are written to {DATA / "mail"}; logs to {logs}.
Press Ctrl-C to stop.""",
        flush=True,
    )
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        for proc in children:
            if proc.poll() is not None:
                print(f"a process stopped (exit {proc.returncode}): see {logs}", file=sys.stderr)
                stopping = True
        time.sleep(0.5)
    print("\nStopping …", flush=True)
    return 0


def stop_children(children: list[subprocess.Popen]) -> None:
    for proc in children:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.time() + 15
    for proc in children:
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
