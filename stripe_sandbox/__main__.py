"""`python -m stripe_sandbox serve|reset` — run the sandbox as a server for the demo."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from .core import Sandbox
from .server import SandboxServer, print_banner
from .webhooks import WebhookEndpoint


def _endpoint(value: str, connect: bool) -> WebhookEndpoint:
    url, sep, secret = value.rpartition("=")
    if not sep or not url or not secret:
        raise argparse.ArgumentTypeError(f"expected URL=SECRET, got {value!r}")
    return WebhookEndpoint(url, secret, connect=connect)


def _rate_fault(value: str) -> tuple[str, float]:
    kind, sep, fraction = value.partition("=")
    try:
        return kind, float(fraction) if sep else 1.0
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected KIND=FRACTION, got {value!r}") from None


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m stripe_sandbox", description="A local, stateful Stripe stand-in."
    )
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API at /v1 and the hosted pages at /_sandbox")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=12111)
    serve.add_argument("--state", metavar="PATH", help="JSON file; loaded at start, saved after every write")
    serve.add_argument(
        "--webhook",
        metavar="URL=SECRET",
        action="append",
        default=[],
        type=lambda v: _endpoint(v, False),
        help="platform webhook endpoint (repeatable)",
    )
    serve.add_argument(
        "--connect-webhook",
        metavar="URL=SECRET",
        action="append",
        default=[],
        type=lambda v: _endpoint(v, True),
        help="Connect webhook endpoint (repeatable)",
    )
    serve.add_argument("--duplicate", action="store_true", help="deliver every event twice")
    serve.add_argument("--shuffle", action="store_true", help="deliver pending events in random order")
    serve.add_argument("--seed", type=int, help="seed for ids and shuffling")
    serve.add_argument("--public-url", help="base URL for hosted pages (default: http://HOST:PORT)")
    serve.add_argument("--verbose", action="store_true", help="log every request")
    serve.add_argument(
        "--fault",
        metavar="KIND=FRACTION",
        action="append",
        default=[],
        type=_rate_fault,
        help="a standing fault on that share of API requests, e.g. rate_limit=0.1 (repeatable)",
    )
    serve.add_argument(
        "--bank-settle-seconds",
        type=int,
        default=3,
        help="how long a bank debit stays processing (0: until POST /_sandbox/bank-debits/<pi>/settle)",
    )
    reset = commands.add_parser("reset", help="delete the state file")
    reset.add_argument("--state", metavar="PATH", required=True)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "reset":
        if os.path.exists(args.state):
            os.unlink(args.state)
        print(f"Stripe sandbox state reset ({args.state})")
        return 0
    sandbox = Sandbox(
        state_path=args.state,
        webhook_endpoints=[*args.webhook, *args.connect_webhook],
        delivery="background",
        duplicate=args.duplicate,
        shuffle=args.shuffle,
        seed=args.seed,
        public_url=args.public_url or f"http://{args.host}:{args.port}",
        bank_settle_seconds=args.bank_settle_seconds or None,
    )
    for kind, fraction in args.fault:
        sandbox.faults.rate(kind, fraction)
    server = SandboxServer(sandbox, args.host, args.port, verbose=args.verbose)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print_banner(server, args.state)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
