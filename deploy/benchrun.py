"""``make bench [ONLY=name]``: embedded services when needed, then bench.run."""

import compileall
import re
import sys

from deploy import services
from deploy.django_env import ROOT, prepare


def compile_sources() -> None:
    """Byte-compile the project's modules first, as an installed deployment has them, so that
    benchmarks which start processes (``migrate_societies``) time the program and not Python
    compiling it: where PYTHONDONTWRITEBYTECODE is set, every process would compile every
    module it imports, migrations included, again."""
    compileall.compile_dir(ROOT, quiet=1, rx=re.compile(r"/\.(venv|data|git)/|/node_modules/"))


def main(argv: list[str]) -> int:
    prepare(debug=False)
    compile_sources()
    from bench.run import main as run

    try:
        return run(argv)
    finally:
        services.down(only_started=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
