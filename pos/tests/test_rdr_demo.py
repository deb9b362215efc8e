"""The demo's card readers (helper rdr): one simulated reader paired per home location whose account
can take payments (Montréal and Laval; Québec has no account of its own), each on its location's
account at the sandbox — and seeding twice pairs nothing more."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from payments import gateway
from payments.models import CardReader
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient
from studio.models import Studio

pytestmark = pytest.mark.django_db


def test_the_demo_pairs_a_simulated_reader_per_home_location_with_an_account():
    sandbox = Sandbox(seed=5)
    with gateway.use_http_client(SandboxHTTPClient(sandbox)):
        call_command("seed_demo")
        with scopes_disabled():
            first = list(CardReader.objects.values_list("pk", flat=True).order_by("pk"))
        call_command("seed_demo")
    with scopes_disabled():
        assert list(CardReader.objects.values_list("pk", flat=True).order_by("pk")) == first
        demo = Studio.objects.get(slug="demo")
        readers = list(CardReader.objects.filter(studio=demo).select_related("location", "account"))
        assert sorted(r.location.name for r in readers) == ["Laval", "Montréal", "Québec"]
        for reader in readers:
            assert reader.label == f"Accueil {reader.location.name}" and reader.deleted_at is None
            assert reader.device_type == "simulated_wisepos_e"
            # On the account the location's sales go to (PAY-3): its own, else the default (Québec).
            if reader.location.name == "Québec":
                assert reader.account.is_default
            else:
                assert reader.location.name in reader.account.display_name
            assert sandbox.get(reader.stripe_reader_id, account=reader.account.stripe_account_id) is not None
        # The second studio seeds no reader.
        assert not CardReader.objects.exclude(studio=demo).exists()
