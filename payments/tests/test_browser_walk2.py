"""Second newcomer's walk through the payments pages (issue 10's re-check): layout in French."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_scopes import scope

from payments.models import Payment
from payments.models.settings import Channel, ItemKind
from payments.services.tenders import payment_record_tender
from studio.services import Actor
from tests.factories import LocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _set_language(page, live_server, language: str) -> None:
    from django.conf import settings

    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


@pytest.mark.parametrize("width", [1024, 1280])
def test_payment_detail_facts_keep_room_for_their_values_in_french(
    page, log_in_as, live_server, make_account, studio, owner, password, location, a_client, width
):
    """« Lieu d'attache du client à ce moment » once took the whole card and left its value (and
    every other value of the card) one letter wide at 1024 px: labels now wrap within 40 %."""
    laval = LocationFactory(studio=studio, name="Laval")
    make_account(studio, name="Atelier Demo — Laval", default=True, locations=[location, laval])
    with scope(studio=studio):
        payment = payment_record_tender(
            studio=studio,
            actor=Actor(user=owner.user),
            tender=Payment.Method.CASH,
            client=a_client,
            subtotal=9900,
            item_kind=ItemKind.MEMBERSHIP,
            channel=Channel.ONLINE,
            description="Carte 10 cours",
        )
    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(owner.user.email, password)
    _set_language(page, live_server, "fr")
    page.goto(f"/{studio.slug}/manage/payments/{payment.pk}/")
    assert "Lieu d'attache du client à ce moment" in page.content()
    cells = page.evaluate("""() => [...document.querySelectorAll('.facts dd')].map(dd => {
        const probe = document.createElement('span'); probe.textContent = 'mmmmmmmm';
        probe.style.visibility = 'hidden'; probe.style.position = 'absolute'; dd.appendChild(probe);
        const eight = probe.getBoundingClientRect().width; probe.remove();
        return [dd.previousElementSibling.textContent.trim(), dd.getBoundingClientRect().width, eight]; })""")
    assert cells
    narrow = [(label, round(w)) for label, w, eight in cells if w < eight]
    assert not narrow, f"value cells narrower than eight characters at {width} px: {narrow}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_unbroken_credit_note_and_refund_reason_stay_inside_the_page_at_1024(
    page, log_in_as, live_server, make_account, studio, owner, password, location, a_client
):
    """A 200-letter word typed as a credit note or a refund reason made the page thousands of pixels
    wide: free-text table cells break anywhere (the refund reason's `wrap` class had no rule)."""
    from payments.models import Refund
    from payments.services.credit import credit_adjust

    word = "n" * 200
    make_account(studio, name="Plateau", default=True, locations=[location])
    with scope(studio=studio):
        payment = payment_record_tender(
            studio=studio,
            actor=Actor(user=owner.user),
            tender=Payment.Method.CASH,
            client=a_client,
            subtotal=2500,
            item_kind=ItemKind.MEMBERSHIP,
            channel=Channel.ONLINE,
            description="d" * 120,
        )
        credit_adjust(studio=studio, actor=Actor(user=owner.user), client=a_client, amount=1250, note=word)
        Refund.objects.create(
            studio=studio,
            payment=payment,
            amount=100,
            destination=Refund.Destination.CREDIT,
            reason=word,
            status=Refund.Status.SUCCEEDED,
            idempotency_key="walk2-long",
        )
    log_in_as(owner.user.email, password)
    for path in (
        f"/{studio.slug}/manage/payments/clients/{a_client.pk}/credit/",
        f"/{studio.slug}/manage/payments/{payment.pk}/",
        f"/{studio.slug}/manage/payments/",
    ):
        page.goto(path)
        assert word[:50] in page.content() or "d" * 50 in page.content()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1024, (path, width)


def test_long_tax_names_file_names_and_stripe_ids_stay_inside_the_page_at_1024(
    page, log_in_as, live_server, make_account, studio, owner, password, location
):
    """The fees page (a 60-letter tax name), the import list (a long file name) and the events page
    (account ids, outcome) were wider than a 1024 px screen in English."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from payments.models import StripeEvent, TaxRate
    from payments.services import migration_import

    account = make_account(studio, name="Plateau", default=True, locations=[location])
    with scope(studio=studio):
        TaxRate.objects.create(
            studio=studio,
            name="n" * 60,
            rate=Decimal("5.5"),
            item_kinds=["membership"],
            archived_at=timezone.now(),
        )
        TaxRate.objects.create(
            studio=studio, name="TVQ", rate=Decimal("9.975"), item_kinds=list(ItemKind.values)
        )
        migration_import.migration_upload(
            studio=studio,
            actor=Actor(user=owner.user),
            target_account=account,
            file=SimpleUploadedFile(
                "f" * 150 + ".csv",
                b"customer_id_old,customer_id_new,source_id_old,source_id_new\ncus_A,cus_A,pm_1Old,pm_1New\n",
            ),
        )
    for n in range(3):
        StripeEvent.objects.create(
            event_id=f"evt_{'e' * 40}{n}",
            type="setup_intent.created",
            studio_id=studio.pk,
            account=account.stripe_account_id,
            created=0,
            payload={},
            last_error="x" * 300 if n == 0 else "",
            attempts=1,
        )
    log_in_as(owner.user.email, password)
    for path in ("manage/payments/fees/", "manage/payments/migrate/", "manage/payments/events/"):
        page.goto(f"/{studio.slug}/{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1024, (path, width)
