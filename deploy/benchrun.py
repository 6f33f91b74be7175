"""``make bench [ONLY=name]``: embedded services when needed, then bench.run."""

import sys

from deploy import services
from deploy.django_env import prepare


def main(argv: list[str]) -> int:
    prepare(debug=False)
    from bench.run import main as run

    try:
        return run(argv)
    finally:
        services.down(only_started=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
