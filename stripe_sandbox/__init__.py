"""A stateful, local stand-in for Stripe's HTTP API (tests and the offline demo).

    from stripe_sandbox import Sandbox
    sandbox = Sandbox()
    client = sandbox.client()            # a real stripe.StripeClient, in-process, no sockets
    client.v1.customers.create({"email": "a@example.com"})

See docs/stripe-sandbox.md for what it covers and how it differs from Stripe.
"""

from .core import Sandbox
from .faults import KINDS as FAULT_KINDS
from .transport import SandboxHTTPClient, make_client
from .webhooks import WebhookEndpoint, sign

__all__ = ["FAULT_KINDS", "Sandbox", "SandboxHTTPClient", "WebhookEndpoint", "make_client", "sign"]
