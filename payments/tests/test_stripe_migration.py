"""Migrating clients from an old Stripe account (PAY-10) with the mapping file Stripe provides."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from payments.models import MigrationImport, SavedPaymentMethod, StripeCustomer
from payments.services import stripe_migration as svc
from studio.permissions import RoleKind
from studio.services import SYSTEM
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).parent / "data" / "stripe_copy_customers_mapping.csv"


@pytest.fixture
def world(sandbox, make_account, studio, location, owner):
    """An old account with Camille's two cards known to us; Stripe's copies on the new account."""
    from payments.services.saved_methods import saved_methods_enable
    from studio.services import Actor

    with scope(studio=studio):
        saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)
    old = make_account(studio, name="Old", default=True, locations=[location])
    new = make_account(studio, name="New")
    raw = sandbox.client()
    camille = ClientFactory(studio=studio, first_name="Camille", email="camille@example.test", home_location=location)
    leo = ClientFactory(studio=studio, first_name="Léo", email="leo@example.test", home_location=location)
    full = ClientFactory(studio=studio, first_name="Full", email="full@example.test", home_location=location)
    ids = {}

    def customer(acct, email):
        return raw.v1.customers.create({"email": email}, options={"stripe_account": acct}).id

    def card(acct, customer_id, pm="pm_card_visa"):
        created = raw.v1.payment_methods.attach(pm, {"customer": customer_id}, options={"stripe_account": acct})
        return created.id

    # The old account: Camille's customer and two cards, which Atelier knows as saved methods.
    old_cus = customer(old.stripe_account_id, camille.email)
    with scopes_disabled():
        our_customer = StripeCustomer.objects.create(studio=studio, client=camille, account=old,
                                                     stripe_customer_id=old_cus, idempotency_key="k")
        for name, pm, default in (("camille_old_visa", "pm_card_visa", True), ("camille_old_mc", "pm_card_mastercard",
                                                                                False)):
            ids[name] = card(old.stripe_account_id, old_cus, pm)
            SavedPaymentMethod.objects.create(studio=studio, client=camille, account=old, customer=our_customer,
                                              stripe_payment_method_id=ids[name], kind="card", brand="visa",
                                              last4="4242", is_default=default, source="staff")
    # The new account, as Stripe's copy leaves it (our sandbox cannot choose ids, so the "same" id
    # is the one the copy got; the file names it on both sides, as Stripe's does).
    ids["camille"] = customer(new.stripe_account_id, camille.email)
    ids["camille_new_visa"] = card(new.stripe_account_id, ids["camille"])
    ids["camille_new_mc"] = card(new.stripe_account_id, ids["camille"], "pm_card_mastercard")
    ids["leo"] = customer(new.stripe_account_id, leo.email)
    ids["leo_new"] = card(new.stripe_account_id, ids["leo"], "pm_card_amex")
    ids["stranger"] = customer(new.stripe_account_id, "nobody@example.test")
    ids["stranger_new"] = card(new.stripe_account_id, ids["stranger"])
    ids["full"] = customer(new.stripe_account_id, full.email)
    ids["full_new"] = card(new.stripe_account_id, ids["full"])
    with scopes_disabled():
        full_customer = StripeCustomer.objects.create(studio=studio, client=full, account=old,
                                                      stripe_customer_id="cus_oldfull", idempotency_key="f")
        for n in range(5):
            SavedPaymentMethod.objects.create(studio=studio, client=full, account=old, customer=full_customer,
                                              stripe_payment_method_id=f"pm_full_{n}", kind="card", last4="0000",
                                              source="staff")
    content = SAMPLE.read_text().format(**ids).encode()
    return {"old": old, "new": new, "camille": camille, "leo": leo, "full": full, "ids": ids, "file": content}


def _upload(studio, world):
    from studio.services import Actor
    from tests.factories import owner_of

    with scope(studio=studio):
        return svc.migration_upload(studio=studio, actor=Actor(user=owner_of(studio).user),
                                    target_account=world["new"],
                                    file_name="mapping.csv", data=world["file"])


def _snapshot(studio):
    with scopes_disabled():
        return (sorted(SavedPaymentMethod.objects.filter(studio=studio).values_list(
            "stripe_payment_method_id", "account_id", "is_default")), StripeCustomer.objects.count())


def test_missing_columns_are_named(sandbox, studio, world):
    with scope(studio=studio), pytest.raises(ValidationError) as exc:
        svc.migration_upload(studio=studio, actor=SYSTEM, target_account=world["new"], file_name="x.csv",
                             data=b"customer,card\ncus_1,pm_1\n")
    message = " ".join(exc.value.messages)
    assert "old_method" in message and "new_method" in message and "customer, card" in message


def test_dry_run_writes_nothing_and_reports_every_case(sandbox, studio, world):
    before = _snapshot(studio)
    writes_before = len([e for e in sandbox.objects("event", account=world["new"].stripe_account_id)])
    migration = _upload(studio, world)
    with scope(studio=studio):
        migration = svc.migration_run(migration=migration, apply=False, actor=SYSTEM)
    assert _snapshot(studio) == before
    assert len(sandbox.objects("event", account=world["new"].stripe_account_id)) == writes_before
    outcomes = [row["outcome"] for row in migration.report]
    assert outcomes == ["repoint", "repoint", "add", "no_client", "duplicate_row", "no_client", "malformed",
                        "conflict"]
    assert migration.summary == {"repoint": 2, "add": 1, "no_client": 2, "duplicate_row": 1, "malformed": 1,
                                 "conflict": 1}
    defaults = {row["new_method"]: row["default"] for row in migration.report if row["outcome"] in ("add",
                                                                                                    "repoint")}
    assert defaults[world["ids"]["camille_new_visa"]] and not defaults[world["ids"]["camille_new_mc"]]
    assert defaults[world["ids"]["leo_new"]]  # no default yet on the new account: the first becomes it


def test_apply_repoints_adds_and_is_idempotent(sandbox, studio, world):
    migration = _upload(studio, world)
    with scope(studio=studio):
        svc.migration_run(migration=migration, apply=False, actor=SYSTEM)
        migration = svc.migration_run(migration=migration, apply=True, actor=SYSTEM)
    assert migration.status == MigrationImport.Status.APPLIED
    with scopes_disabled():
        camille = SavedPaymentMethod.objects.filter(client=world["camille"]).order_by("id")
        assert {m.account_id for m in camille} == {world["new"].pk}
        assert {m.stripe_payment_method_id for m in camille} == {world["ids"]["camille_new_visa"],
                                                                 world["ids"]["camille_new_mc"]}
        default = camille.get(is_default=True)
        assert default.stripe_payment_method_id == world["ids"]["camille_new_visa"]
        leo = SavedPaymentMethod.objects.get(client=world["leo"])
        assert (leo.account_id, leo.brand, leo.is_default, leo.source) == (world["new"].pk, "amex", True,
                                                                           "migration")
    with scope(studio=studio):
        from payments.services.saved_methods import default_method_for

        for client in (world["camille"], world["leo"]):  # renewals will find a usable default
            assert default_method_for(client=client, account=world["new"]).method is not None
    after_once = _snapshot(studio)
    with scope(studio=studio):
        again = svc.migration_run(migration=migration, apply=True, actor=SYSTEM)
    assert _snapshot(studio) == after_once
    assert again.summary.get("already_done") == 3 and "add" not in again.summary and "repoint" not in again.summary


def test_pages_upload_progress_apply_and_csv(sandbox, owner_client, studio, world, celery_eager,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("payments-import-list", kwargs={"studio_slug": studio.slug}), {
            "target_account": world["new"].pk,
            "file": SimpleUploadedFile("mapping.csv", world["file"], content_type="text/csv")})
    detail = response["Location"]
    page = owner_client.get(detail).content.decode()
    assert 'data-outcome="repoint">2<' in page and "Apply" in page
    pk = int(detail.rstrip("/").split("/")[-1])
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("payments-import-apply", kwargs={"studio_slug": studio.slug, "pk": pk}))
    progress = owner_client.get(reverse("payments-import-progress", kwargs={"studio_slug": studio.slug, "pk": pk}))
    assert "Applied" in progress.content.decode() and 'data-percent="100"' in progress.content.decode()
    report = owner_client.get(reverse("payments-import-report", kwargs={"studio_slug": studio.slug, "pk": pk}))
    assert report["Content-Type"].startswith("text/csv")
    assert report.content.decode().splitlines()[0].startswith("line,client,old_customer")


def test_only_owner_or_admin(sandbox, login, studio, staff_factory):
    manager = staff_factory(RoleKind.MANAGER)
    assert login(manager.user).get(reverse("payments-import-list",
                                           kwargs={"studio_slug": studio.slug})).status_code == 403
