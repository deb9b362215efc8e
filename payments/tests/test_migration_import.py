"""Migration import from an old Stripe account (PAY-10): the shipped sample mapping file, end to end.

The sandbox is put in the state Stripe's "copy customers" leaves behind: on the new account the
customers keep their ids and the payment methods have new ids (the ids of the sample file).
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from payments import gateway
from payments.models import MigrationImport, SavedPaymentMethod, StripeCustomer
from payments.services import migration_import as svc
from payments.services import saved_methods as saved
from payments.services.migration_plan import Planner, Superseded
from studio.models import AuditLog, Role
from studio.permissions import Perm, RoleKind
from studio.services import Actor
from tests.factories import ClientFactory, StaffFactory, make_studio, owner_of

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "stripe_copy_customers_mapping.csv"

#: What Stripe's copy created on the new account for the sample file: customer → email, new method → kind.
CUSTOMERS = {
    "cus_MigAlice0001": "alice@example.test",
    "cus_MigBruno0001": "bruno@example.test",
    "cus_MigChloe0001": "chloe@example.test",
    "cus_MigDavid0001": "david@example.test",
    "cus_MigGhost0001": "ghost@example.test",
    "cus_MigEmma00001": "Emma.Roy@Example.TEST",
}
NEW_METHODS = {
    "pm_1NewAliceVisa000000000": ("cus_MigAlice0001", "tok_visa"),
    "pm_1NewAliceMc00000000000": ("cus_MigAlice0001", "tok_mastercard"),
    "pm_1NewBrunoAmex000000000": ("cus_MigBruno0001", "tok_amex"),
    "pm_1NewBrunoAcss000000000": ("cus_MigBruno0001", "acss_debit"),
    "pm_1NewChloeVisa000000000": ("cus_MigChloe0001", "tok_visa"),
    "pm_1NewDavidVisa000000000": ("cus_MigDavid0001", "tok_visa"),
    "pm_1NewDavidMc00000000000": ("cus_MigDavid0001", "tok_mastercard"),
    "pm_1NewGhostVisa000000000": ("cus_MigGhost0001", "tok_visa"),
    "pm_1NewEmmaMc000000000000": ("cus_MigEmma00001", "tok_mastercard"),
}
#: The outcome of each line of the sample file (line 1 is the header).
EXPECTED = {
    2: "repoint",
    3: "repoint",
    4: "add",
    5: "add",
    6: "conflict",
    7: "add",
    8: "conflict",
    9: "no_client",
    10: "duplicate_row",
    11: "malformed",
    12: "malformed",
    13: "add",
    14: "no_client",
}


def _rekey(sandbox, account: str, created_id: str, new_id: str, **changes) -> None:
    """Give a sandbox object the id Stripe's copy gave it (the sandbox picks its own ids)."""
    with sandbox.lock:
        obj = sandbox.store.objects[account].pop(created_id)
        obj.update(id=new_id, **changes)
        sandbox.store.put(account, obj)
        sandbox.store.meta[new_id] = sandbox.store.meta.pop(created_id, {})


def copy_customers(sandbox, account: str) -> None:
    """The state Stripe's "copy customers" leaves on the new account for the sample file."""
    stripe = sandbox.client()
    options = {"stripe_account": account}
    for customer_id, email in CUSTOMERS.items():
        created = stripe.v1.customers.create({"email": email, "name": email.split("@")[0]}, options=options)
        _rekey(sandbox, account, created.id, customer_id)
    for pm_id, (customer_id, kind) in NEW_METHODS.items():
        if kind == "acss_debit":
            params = {
                "type": "acss_debit",
                "billing_details": {"name": "Bruno Caron", "email": "bruno@example.test"},
                "acss_debit": {
                    "institution_number": "000",
                    "transit_number": "11000",
                    "account_number": "000123456789",
                },
            }
        else:
            params = {"type": "card", "card": {"token": kind}}
        created = stripe.v1.payment_methods.create(params, options=options)
        _rekey(sandbox, account, created.id, pm_id, customer=customer_id)


def _method(studio, client, account, customer, pm_id, *, default=False, brand="visa", last4="4242"):
    return SavedPaymentMethod.objects.create(
        studio=studio,
        client=client,
        account=account,
        customer=customer,
        stripe_payment_method_id=pm_id,
        kind="card",
        brand=brand,
        last4=last4,
        exp_month=12,
        exp_year=2031,
        is_default=default,
        source="staff",
    )


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English: do not depend on the language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(sandbox, make_account, studio, other_studio, location, owner):
    """Old and new accounts, the clients of the sample file, their rows on the old account."""
    old = make_account(studio, name="Old account")
    new = make_account(studio, name="New account", default=True, locations=[location])
    copy_customers(sandbox, new.stripe_account_id)
    with scope(studio=studio):
        saved.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)
    with scopes_disabled():
        people = {
            key: ClientFactory(
                studio=studio, first_name=key.title(), last_name="Test", email=email, home_location=location
            )
            for key, email in (
                ("alice", "alice@example.test"),
                ("bruno", "bruno@example.test"),
                ("chloe", "chloe@example.test"),
                ("david", "david@example.test"),
                ("emma", "emma.roy@example.test"),
            )
        }
        ClientFactory(
            studio=other_studio, email="ghost@example.test"
        )  # another studio's client never matches

        def old_customer(key, customer_id):
            return StripeCustomer.objects.create(
                studio=studio,
                client=people[key],
                account=old,
                stripe_customer_id=customer_id,
                idempotency_key=f"old:{key}",
            )

        alice = old_customer("alice", "cus_MigAlice0001")
        _method(studio, people["alice"], old, alice, "pm_1OldAliceVisa000000000", default=True)
        _method(
            studio, people["alice"], old, alice, "pm_1OldAliceMc00000000000", brand="mastercard", last4="4444"
        )
        chloe = old_customer("chloe", "cus_MigChloe0001")
        _method(studio, people["chloe"], old, chloe, "pm_1OldChloeVisa000000000", default=True)
        chloe_new = StripeCustomer.objects.create(
            studio=studio,
            client=people["chloe"],
            account=new,
            stripe_customer_id="cus_MigChloe0001",
            idempotency_key="new:chloe",
        )
        _method(
            studio, people["chloe"], new, chloe_new, "pm_1ChloeSavedSinceSwitch0", default=True, last4="1881"
        )
        david = old_customer("david", "cus_MigDavid0001")
        for n in range(4):
            _method(studio, people["david"], old, david, f"pm_1DavidKept{n}00000000000", default=n == 0)
    return {"old": old, "new": new, "people": people, "studio": studio, "owner": owner}


def upload(world, *, path=SAMPLE, content: bytes | None = None, name="mapping.csv") -> MigrationImport:
    data = content if content is not None else path.read_bytes()
    with scope(studio=world["studio"]):
        return svc.migration_upload(
            studio=world["studio"],
            actor=Actor(user=world["owner"].user),
            target_account=world["new"],
            file=SimpleUploadedFile(name, data),
        )


def state(studio) -> list[tuple]:
    """Every saved method and customer row, for before/after comparisons."""
    with scopes_disabled():
        methods = sorted(
            SavedPaymentMethod.objects.filter(studio=studio).values_list(
                "pk",
                "client_id",
                "account_id",
                "customer_id",
                "stripe_payment_method_id",
                "kind",
                "brand",
                "bank_name",
                "last4",
                "exp_month",
                "exp_year",
                "account_holder",
                "is_default",
                "source",
            )
        )
        customers = sorted(
            StripeCustomer.objects.filter(studio=studio).values_list(
                "pk", "client_id", "account_id", "stripe_customer_id"
            )
        )
    return [*methods, *customers]


def outcomes(migration) -> dict[int, str]:
    return {entry["line"]: entry["outcome"] for entry in migration.report}


def by_line(migration, line: int) -> dict:
    return next(e for e in migration.report if e["line"] == line)


# --- the file ----------------------------------------------------------------------------------


def test_missing_columns_are_named_with_what_was_found(world):
    with pytest.raises(ValidationError) as caught:
        upload(world, content=b"customer,email,amount\ncus_1,a@b.c,10\n")
    message = " ".join(caught.value.message_dict["file"])
    assert "old payment method id" in message and "new payment method id" in message
    assert "source_id_old" in message and "source_id_new" in message
    assert "Columns found: customer, email, amount" in message
    assert "old customer id" not in message  # `customer` is an accepted alias


def test_column_aliases_case_insensitive_bom_and_semicolons(world):
    content = (
        "\ufeffOld_Customer_ID;OLD_PAYMENT_METHOD_ID;New_Payment_Method_Id\n"
        "cus_MigEmma00001;pm_1OldEmmaMc000000000000;pm_1NewEmmaMc000000000000\n"
    ).encode()
    migration = upload(world, content=content)
    assert migration.columns == {
        "customer_old": "Old_Customer_ID",
        "source_old": "OLD_PAYMENT_METHOD_ID",
        "source_new": "New_Payment_Method_Id",
    }
    with scope(studio=world["studio"]):
        migration = svc.migration_dry_run(migration=migration)
    assert outcomes(migration) == {2: "add"}
    assert by_line(migration, 2)["cus"] == "cus_MigEmma00001"  # the new customer id defaults to the old one


def test_files_that_cannot_be_read_are_refused_clearly(world, monkeypatch):
    with pytest.raises(ValidationError, match="not UTF-8"):
        upload(world, content="customer_id,source_id_old,source_id_new\ncus_é,pm_1,pm_2\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="no rows"):
        upload(world, content=b"customer_id,source_id_old,source_id_new\n\n")
    with pytest.raises(ValidationError, match="empty"):
        upload(world, content=b"")
    monkeypatch.setattr(svc, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(ValidationError, match="too large"):
        upload(world)
    with scopes_disabled():
        assert not MigrationImport.objects.exists()


def test_upload_counts_rows_and_is_audited(world):
    migration = upload(world)
    assert migration.progress_total == 13 and migration.status == MigrationImport.Status.UPLOADED
    with scopes_disabled():
        assert AuditLog.objects.filter(
            action="payments.migration_uploaded", object_id=str(migration.pk)
        ).exists()


# --- dry run -----------------------------------------------------------------------------------


def test_dry_run_reports_every_row_and_writes_nothing(world, sandbox):
    migration = upload(world)
    before = state(world["studio"])
    stripe_before = json.dumps(sandbox.store.to_json()["objects"], sort_keys=True)
    with scopes_disabled():
        audits = AuditLog.objects.count()
    with scope(studio=world["studio"]):
        migration = svc.migration_dry_run(migration=migration)
    assert migration.status == MigrationImport.Status.CHECKED
    assert outcomes(migration) == EXPECTED
    assert state(world["studio"]) == before
    assert json.dumps(sandbox.store.to_json()["objects"], sort_keys=True) == stripe_before
    with scopes_disabled():
        assert AuditLog.objects.count() == audits

    alice = world["people"]["alice"]
    assert by_line(migration, 2)["client"] == alice.pk and by_line(migration, 2)["default"] == "old_default"
    assert "default" not in by_line(migration, 3)
    assert by_line(migration, 4)["default"] == "first" and by_line(migration, 4)["brand"] == "amex"
    assert by_line(migration, 5)["kind"] == "acss_debit" and by_line(migration, 5)["last4"] == "6789"
    assert by_line(migration, 6)["why"] == "foreign_methods"
    assert by_line(migration, 8)["why"] == "limit" and by_line(migration, 7)["default"] == "first"
    assert by_line(migration, 9)["why"] == "email_unknown"
    assert by_line(migration, 10)["args"] == {"line": 2}
    assert by_line(migration, 11)["args"] == {"fields": ["source_new"]}
    assert by_line(migration, 12)["args"]["field"] == "source_old"
    assert by_line(migration, 13)["client"] == world["people"]["emma"].pk  # email matched whatever its case
    assert by_line(migration, 14)["why"] == "no_customer"
    assert migration.summary["counts"]["repoint"] == 2 and migration.summary["counts"]["add"] == 4
    assert migration.summary["clients"] == 4 and migration.summary["defaults"] == 4
    assert migration.summary["routes_elsewhere"] == 0
    assert migration.progress_done == migration.progress_total == 13


def test_dry_run_messages_read_as_sentences(world):
    migration = upload(world)
    with scope(studio=world["studio"]):
        migration = svc.migration_dry_run(migration=migration)
    assert svc.entry_message(by_line(migration, 8)) == (
        "The client would have more than 5 saved methods: row skipped."
    )
    assert "Same as line 2" in svc.entry_message(by_line(migration, 10))
    assert "Stays the default" in svc.entry_message(by_line(migration, 2))
    assert svc.entry_method(by_line(migration, 4)).startswith("Amex •••• 0005")
    assert "•••• 1881" in svc.entry_message(by_line(migration, 6))


# --- apply -------------------------------------------------------------------------------------


def test_apply_moves_methods_to_the_new_account_with_defaults(world):
    migration = upload(world)
    new, old, people, studio = world["new"], world["old"], world["people"], world["studio"]
    with scopes_disabled():
        alice_visa_pk = SavedPaymentMethod.objects.get(
            stripe_payment_method_id="pm_1OldAliceVisa000000000"
        ).pk
    with scope(studio=studio):
        svc.migration_dry_run(migration=migration)
        migration = svc.migration_apply(migration=migration, actor=Actor(user=world["owner"].user))
    assert migration.status == MigrationImport.Status.APPLIED and migration.applied_at
    assert outcomes(migration) == EXPECTED
    with scope(studio=studio):
        visa = SavedPaymentMethod.objects.get(pk=alice_visa_pk)  # the same row, re-pointed
        assert (visa.account, visa.stripe_payment_method_id, visa.is_default) == (
            new,
            "pm_1NewAliceVisa000000000",
            True,
        )
        assert visa.customer.account == new and visa.customer.stripe_customer_id == "cus_MigAlice0001"
        assert visa.source == "staff"  # how it was first saved stays true
        mc = SavedPaymentMethod.objects.get(stripe_payment_method_id="pm_1NewAliceMc00000000000")
        assert mc.account == new and not mc.is_default
        assert not SavedPaymentMethod.objects.filter(client=people["alice"], account=old).exists()

        amex, bank = (
            SavedPaymentMethod.objects.get(stripe_payment_method_id=pm)
            for pm in ("pm_1NewBrunoAmex000000000", "pm_1NewBrunoAcss000000000")
        )
        assert (amex.kind, amex.brand, amex.last4, amex.is_default, amex.source) == (
            "card",
            "amex",
            "0005",
            True,
            "migration",
        )
        assert amex.exp_month and amex.exp_year and amex.account == new
        assert (bank.kind, bank.bank_name, bank.last4, bank.account_holder, bank.is_default) == (
            "acss_debit",
            "STRIPE TEST BANK",
            "6789",
            "Bruno Caron",
            False,
        )
        assert (
            StripeCustomer.objects.get(client=people["bruno"], account=new).stripe_customer_id
            == "cus_MigBruno0001"
        )

        assert SavedPaymentMethod.objects.filter(client=people["david"]).count() == 5  # the limit held
        assert SavedPaymentMethod.objects.get(client=people["david"], account=new).is_default
        assert not SavedPaymentMethod.objects.filter(
            stripe_payment_method_id="pm_1NewChloeVisa000000000"
        ).exists()
        assert SavedPaymentMethod.objects.get(client=people["emma"]).is_default

        # Every client who will renew on the new account has a usable default there.
        for key in ("alice", "bruno", "david", "emma", "chloe"):
            assert saved.default_method_for(client=people[key], account=new).method is not None, key
        assert AuditLog.objects.filter(action="payments.saved_method_migrated").count() == 2
        assert AuditLog.objects.filter(action="payments.saved_method_added").count() == 4
        assert AuditLog.objects.filter(
            action="payments.migration_applied", object_id=str(migration.pk)
        ).exists()


def test_applying_twice_changes_nothing_the_second_time(world):
    migration = upload(world)
    with scope(studio=world["studio"]):
        svc.migration_dry_run(migration=migration)
        svc.migration_apply(migration=migration)
        after_once = state(world["studio"])
        audits = AuditLog.objects.filter(action__startswith="payments.saved_method").count()
        again = svc.migration_apply(migration=migration)
        assert AuditLog.objects.filter(action__startswith="payments.saved_method").count() == audits
    assert state(world["studio"]) == after_once
    assert again.summary["counts"]["repoint"] == again.summary["counts"]["add"] == 0
    assert again.summary["counts"]["already_done"] == 6
    assert {line for line, outcome in outcomes(again).items() if outcome == "already_done"} == {
        2,
        3,
        4,
        5,
        7,
        13,
    }
    with scope(studio=world["studio"]):
        check = svc.migration_dry_run(migration=again)  # and a dry run afterwards agrees
    assert check.summary["counts"]["already_done"] == 6


def test_old_default_wins_even_when_listed_after_another_method(world):
    content = (
        b"customer_id_old,source_id_old,source_id_new\n"
        b"cus_MigAlice0001,pm_1OldAliceMc00000000000,pm_1NewAliceMc00000000000\n"
        b"cus_MigAlice0001,pm_1OldAliceVisa000000000,pm_1NewAliceVisa000000000\n"
    )
    migration = upload(world, content=content)
    with scope(studio=world["studio"]):
        migration = svc.migration_apply(migration=migration, chunk_size=1)
        defaults = list(
            SavedPaymentMethod.objects.filter(account=world["new"], is_default=True).values_list(
                "stripe_payment_method_id", flat=True
            )
        )
    assert "pm_1NewAliceVisa000000000" in defaults and "pm_1NewAliceMc00000000000" not in defaults
    assert by_line(migration, 3)["default"] == "old_default" and "default" not in by_line(migration, 2)


def test_progress_is_saved_every_chunk_in_its_own_transaction(world, monkeypatch):
    seen = []
    original = Planner.write_chunk

    def spy(self, plans, done):
        original(self, plans, done)
        seen.append(MigrationImport.objects.values_list("progress_done", flat=True).get(pk=self.migration.pk))

    monkeypatch.setattr(Planner, "write_chunk", spy)
    migration = upload(world)
    with scope(studio=world["studio"]):
        svc.migration_apply(migration=migration, chunk_size=5)
    assert seen == [5, 10, 13]


def test_stripe_outage_fails_the_run_and_a_retry_finishes_it(world, monkeypatch):
    migration = upload(world)
    real = gateway.payment_method_retrieve
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise gateway.StripeUnavailable("Stripe is down")
        return real(**kwargs)

    monkeypatch.setattr(gateway, "payment_method_retrieve", flaky)
    with scope(studio=world["studio"]):
        failed = svc.migration_apply(migration=migration, chunk_size=2)
        assert failed.status == MigrationImport.Status.FAILED and failed.error.startswith(
            "stripe_unavailable:"
        )
        assert "Stripe did not answer" in svc.migration_error_text(
            migration=failed
        )  # a code, worded when read
        assert svc.migration_can_apply(failed)  # a failed apply may be resumed
        done = svc.migration_apply(migration=failed)
    assert done.status == MigrationImport.Status.APPLIED
    assert outcomes(done)[2] == "already_done" and outcomes(done)[13] == "add"


def test_a_superseded_run_stops_without_writing(world):
    migration = upload(world)
    with scope(studio=world["studio"]):
        planner = Planner(migration, apply=True, actor=Actor(user=None), run="old-run")
        MigrationImport.objects.filter(pk=migration.pk).update(summary={"run": "newer-run"})
        planner.index_file()
        plans = planner.plan_chunk(list(planner.rows()))
        before = state(world["studio"])
        with pytest.raises(Superseded):
            planner.write_chunk(plans, 13)
    assert state(world["studio"]) == before


# --- pages -------------------------------------------------------------------------------------


def url(name, studio, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def test_upload_page_runs_the_dry_run_and_apply_in_the_worker(
    world, owner_client, celery_eager, django_capture_on_commit_callbacks
):
    studio = world["studio"]
    page = owner_client.get(url("payments-migration-list", studio))
    assert page.status_code == 200 and "New account" in page.content.decode()
    assert "Old account" in page.content.decode()  # both can take payments
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url("payments-migration-list", studio),
            {
                "file": SimpleUploadedFile("copy.csv", SAMPLE.read_bytes(), content_type="text/csv"),
                "target_account": world["new"].pk,
            },
        )
    with scopes_disabled():
        migration = MigrationImport.objects.get()
    assert response["Location"] == url("payments-migration-detail", studio, pk=migration.pk)
    assert migration.status == MigrationImport.Status.CHECKED and migration.created_by == world["owner"].user

    detail = owner_client.get(response["Location"]).content.decode()
    assert "What applying would do" in detail and "Download report (CSV)" in detail
    assert "Alice Test" in detail and "No client has the email ghost@example.test." in detail
    # Counts agree with their noun: "2 malformed rows", "1 duplicate row" (ngettext, not "2 malformed row").
    assert "2 malformed rows" in detail and "1 duplicate row<" in detail
    assert (
        "was the default on the old account" in detail
        and 'action="' + url("payments-migration-apply", studio, pk=migration.pk) in detail
    )

    # Applying first says what will move, and changes nothing until confirmed.
    with django_capture_on_commit_callbacks(execute=True):
        asked = owner_client.post(url("payments-migration-apply", studio, pk=migration.pk))
    text = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="apply-confirm"' in text
    assert "6 saved payment methods will move to the account" in text and "cannot be undone" in text
    assert 'name="confirm" value="1"' in text
    migration.refresh_from_db()
    assert migration.status == MigrationImport.Status.CHECKED
    with django_capture_on_commit_callbacks(execute=True):
        applied = owner_client.post(
            url("payments-migration-apply", studio, pk=migration.pk), {"confirm": "1"}
        )
    assert applied.status_code == 302
    migration.refresh_from_db()
    assert migration.status == MigrationImport.Status.APPLIED
    detail = owner_client.get(url("payments-migration-detail", studio, pk=migration.pk)).content.decode()
    assert "What the import did" in detail and "re-pointed" in detail


def test_upload_page_names_missing_columns(world, owner_client):
    response = owner_client.post(
        url("payments-migration-list", world["studio"]),
        {"file": SimpleUploadedFile("x.csv", b"id,amount\n1,2\n"), "target_account": world["new"].pk},
    )
    text = response.content.decode()
    assert (
        response.status_code == 200 and "Columns are missing" in text and "Columns found: id, amount" in text
    )


def test_apply_needs_a_dry_run_first_and_progress_polls_while_running(world, owner_client):
    studio = world["studio"]
    migration = upload(world)
    page = owner_client.get(url("payments-migration-detail", studio, pk=migration.pk)).content.decode()
    assert url("payments-migration-apply", studio, pk=migration.pk) not in page
    refused = owner_client.post(url("payments-migration-apply", studio, pk=migration.pk), follow=True)
    assert "Run a dry run before applying." in refused.content.decode()
    with scopes_disabled():
        assert MigrationImport.objects.get().status == MigrationImport.Status.UPLOADED

    with scope(studio=studio):
        svc.migration_start(migration=migration, actor=Actor(user=world["owner"].user), mode=svc.DRY_RUN)
    partial = owner_client.get(url("payments-migration-progress", studio, pk=migration.pk)).content.decode()
    assert 'hx-trigger="every 1s"' in partial and "<progress" in partial
    again = owner_client.post(url("payments-migration-dry-run", studio, pk=migration.pk), follow=True)
    assert "running already" in again.content.decode()
    with scope(studio=studio):
        migration.refresh_from_db()
        svc.migration_dry_run(migration=migration, run=migration.summary["run"])
    finished = owner_client.get(
        url("payments-migration-progress", studio, pk=migration.pk), HTTP_HX_REQUEST="true"
    )
    assert finished["HX-Refresh"] == "true"


def test_report_downloads_as_csv(world, owner_client):
    migration = upload(world)
    with scope(studio=world["studio"]):
        svc.migration_dry_run(migration=migration)
    response = owner_client.get(url("payments-migration-report", world["studio"], pk=migration.pk))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(svc.REPORT_CSV_HEADER) and len(rows) == 14
    assert {int(r[0]): r[1] for r in rows[1:]}[8] == "conflict"
    alice = next(r for r in rows if r[0] == "2")
    assert alice[3] == "Alice Test" and alice[6] == "pm_1NewAliceVisa000000000" and alice[8] == "old_default"
    assert svc._csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_only_owner_or_admin_may_use_the_import(world, login, staff_factory):
    studio = world["studio"]
    migration = upload(world)
    teacher = staff_factory(RoleKind.TEACHER)
    for name, kwargs in (
        ("payments-migration-list", {}),
        ("payments-migration-detail", {"pk": migration.pk}),
        ("payments-migration-report", {"pk": migration.pk}),
    ):
        assert login(teacher.user).get(url(name, studio, **kwargs)).status_code == 403
    assert (
        login(teacher.user).post(url("payments-migration-apply", studio, pk=migration.pk)).status_code == 403
    )
    with scopes_disabled():
        role = Role.objects.create(studio=studio, name="Payments clerk", permissions=[Perm.CONNECT_PAYMENTS])
    clerk = StaffFactory(studio=studio, role=role)
    assert login(clerk.user).get(url("payments-migration-list", studio)).status_code == 403
    admin = staff_factory(RoleKind.ADMIN)
    assert login(admin.user).get(url("payments-migration-detail", studio, pk=migration.pk)).status_code == 200


def test_another_studios_import_is_not_found(world, client):
    from payments.tests.isolation import CASES

    intruder_studio = make_studio("intruder")
    client.force_login(owner_of(intruder_studio).user, backend="django.contrib.auth.backends.ModelBackend")
    names = [n for n in CASES if n.startswith("payments-migration-")]
    assert len(names) == 5
    for name in names:
        kwargs = CASES[name](world["studio"])
        path = url(name, intruder_studio, **kwargs)
        assert client.get(path).status_code == 404, name
        assert client.post(path).status_code == 404, name


def test_upload_form_offers_only_accounts_that_can_charge(world, make_account, owner_client):
    make_account(world["studio"], name="Half onboarded", ready=False)
    page = owner_client.get(url("payments-migration-list", world["studio"])).content.decode()
    assert "Half onboarded" not in page
    response = owner_client.post(
        url("payments-migration-list", world["studio"]),
        {"file": SimpleUploadedFile("copy.csv", SAMPLE.read_bytes()), "target_account": 999999},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_report_entries_keep_no_stripe_objects(world):
    migration = upload(world)
    with scope(studio=world["studio"]):
        migration = svc.migration_dry_run(migration=migration)
    allowed = {
        "line",
        "outcome",
        "why",
        "args",
        "client",
        "name",
        "cus",
        "old",
        "new",
        "kind",
        "brand",
        "bank",
        "last4",
        "exp",
        "default",
        "elsewhere",
    }
    for entry in migration.report:
        assert set(entry) <= allowed, entry
    assert copy.deepcopy(migration.report) == json.loads(json.dumps(migration.report))


def test_a_dry_run_with_nothing_to_move_offers_no_apply_and_says_why(world, owner_client):
    """Second walk: a file matching no client offered "Apply", then "Yes, move 0 methods"."""
    studio = world["studio"]
    lines = SAMPLE.read_text().splitlines()
    nobody = "\n".join([lines[0], *[line for line in lines if "Ghost" in line or "Nobody" in line]]) + "\n"
    migration = upload(world, content=nobody.encode())
    with scope(studio=studio):
        migration = svc.migration_dry_run(migration=migration)
    assert migration.status == MigrationImport.Status.CHECKED
    assert not svc.migration_has_work(migration) and not svc.migration_can_apply(migration)
    page = owner_client.get(url("payments-migration-detail", studio, pk=migration.pk)).content.decode()
    assert 'data-testid="nothing-to-apply"' in page
    assert url("payments-migration-apply", studio, pk=migration.pk) not in page
    refused = owner_client.post(url("payments-migration-apply", studio, pk=migration.pk), follow=True)
    body = refused.content.decode()
    assert 'data-testid="apply-confirm"' not in body and "Nothing to apply" in body
    with scopes_disabled():
        assert MigrationImport.objects.get(pk=migration.pk).status == MigrationImport.Status.CHECKED
    # The sample file, which does move methods, still offers it.
    full = upload(world)
    with scope(studio=studio):
        full = svc.migration_dry_run(migration=full)
    assert svc.migration_has_work(full) and svc.migration_can_apply(full)
