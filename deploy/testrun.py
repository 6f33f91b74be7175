"""``make test``: start the embedded services when needed, then run pytest on 2 processes."""

import os
import subprocess
import sys

from deploy import services
from deploy.django_env import ROOT, prepare


def main(argv: list[str]) -> int:
    env = prepare(debug=False)
    env["XUEHUI_TESTING"] = "1"
    env["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in the test thread
    env.pop("DEBUG", None)
    args = argv or ["-n", os.environ.get("TEST_PROCESSES", "2"), "--dist", "loadfile"]
    cmd = [sys.executable, "-m", "pytest", *args]
    try:
        result = subprocess.run(cmd, env=env, cwd=ROOT)
    finally:
        if not os.environ.get("KEEP_SERVICES"):
            services.down(only_started=True)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
