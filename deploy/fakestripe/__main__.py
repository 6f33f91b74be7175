"""``python -m deploy.fakestripe``: run the fake Stripe API until interrupted."""

import argparse
import os
import signal
import sys

from .app import DEFAULT_WEBHOOK_SECRET, FakeStripe


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.fakestripe", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port (printed at start)")
    parser.add_argument("--data-dir", help="keep state in DIR/fakestripe.json so a restart keeps it")
    parser.add_argument("--webhook-url", help="where events are POSTed, e.g. http://127.0.0.1:8000/stripe/webhook/")
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("STRIPE_WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET,
        help="signing secret (default: $STRIPE_WEBHOOK_SECRET or %(default)s)",
    )
    parser.add_argument("--public-url", help="base URL browsers use for the hosted pages (default: the bind address)")
    parser.add_argument("--delivery", choices=("async", "sync", "manual"), default="async")
    parser.add_argument("--max-attempts", type=int, default=4, help="delivery attempts per event (default: 4)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    fake = FakeStripe(
        args.host,
        args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        public_url=args.public_url,
        data_dir=args.data_dir,
        delivery=args.delivery,
        max_attempts=args.max_attempts,
        verbose=args.verbose,
    ).bind()
    # SIGTERM (from ``make run`` stopping its children) should save state like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"fakestripe: API on {fake.url}, hosted pages on {fake.public_url}", flush=True)
    print(f"fakestripe: webhooks -> {args.webhook_url or '(none)'} ({args.delivery})", flush=True)
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
