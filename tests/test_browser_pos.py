"""The point-of-sale journey in Debian's chromium (issue 14): the front desk at Laval sells a
10-class pack and a water bottle to a Laval client, takes $20 in cash and the rest on the
simulated reader with a 15 % tip, sees it approved and gets the PDF receipt; then a second sale
where a declined card is followed by the client's saved card.

The reader is driven as a person would in the sandbox: once the screen has pushed the amount,
the card is tapped with tpay's test helper (`reader_present_test_card`, what the sandbox
dashboard's "Approve"/"Decline" buttons call)."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from memberships.tests.factories import PlanFactory
from payments.models import PaymentSettings
from payments.tests.conftest import make_account, sandbox  # noqa: F401 - fixtures
from pos.models import PosSettings, Sale, SaleLine, SaleStatus, SaleTender, TenderKind, TenderStatus
from pos.tests.factories import product
from studio.permissions import RoleKind
from studio.services import Actor
from tests.browser import axe_violations, describe_violations
from tests.factories import ClientFactory, LocationFactory, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOTTLE_CODE = "0627843512345"
DECLINED_CARD = "4000000000000002"


@pytest.fixture
def laval_desk(studio, owner, location, make_account, sandbox):  # noqa: F811
    from payments.services.terminal import reader_register
    from payments.tests.test_saved_methods import save_card
    from pos.services.tills import till_open

    laval = LocationFactory(studio=studio, name="Laval")
    make_account(studio, name="Plateau", default=True, locations=[location])
    laval_account = make_account(studio, name="Laval", locations=[laval])
    with scopes_disabled():
        PaymentSettings.objects.update_or_create(studio=studio, defaults={"saved_methods_enabled": True})
        PosSettings.objects.update_or_create(
            studio=studio, defaults={"tips_enabled": True, "tip_percentages": [15, 18, 20]}
        )
    with scope(studio=studio):
        reader = reader_register(
            studio=studio,
            actor=Actor(user=owner.user),
            location=laval,
            label="Laval desk",
            registration_code="simulated-wpe",
            request_token="browser-pos-reader-0001",
        )
        till_open(studio=studio, actor=Actor(user=owner.user), location=laval, opening_float=10000)
    pack = PlanFactory(studio=studio, pack=True, name="10 classes", price_amount=15000)
    bottle = product(studio, name="Water bottle", price_amount=2000, barcode=BOTTLE_CODE, stock={laval: 10})
    lea = ClientFactory(studio=studio, first_name="Léa", last_name="Gagnon", home_location=laval)
    save_card(sandbox, studio, lea, make_default=True)
    clerk = StaffFactory(studio=studio, kind=RoleKind.FRONT_DESK)
    return {
        "laval": laval,
        "account": laval_account,
        "reader": reader,
        "pack": pack,
        "bottle": bottle,
        "lea": lea,
        "clerk": clerk,
    }


def _pending_reader_tender(sale_id: int) -> SaleTender:
    with scopes_disabled():
        return (
            SaleTender.objects.select_related("payment")
            .filter(sale_id=sale_id, kind=TenderKind.READER, status=TenderStatus.PENDING)
            .get()
        )


def _tap(sale_id: int, *, studio, card_number=None, tip=None) -> None:
    """The client taps a card on the simulated reader (choosing a tip on its screen)."""
    from payments.services.terminal import reader_present_test_card

    tender = _pending_reader_tender(sale_id)
    with scope(studio=studio):
        reader_present_test_card(payment=tender.payment, amount_tip=tip, card_number=card_number)


def _new_sale_for_lea(page, studio, lea) -> int:
    page.goto(f"/{studio.slug}/pos/")
    with page.expect_navigation():
        page.click("#pos-new-sale")
    page.wait_for_selector(".pos-screen")
    sale_id = int(page.get_attribute(".pos-screen", "data-sale"))
    page.fill("#pos-client-q", "Gagnon")
    page.click(f"#pos-choose-client-{lea.pk}")
    page.wait_for_selector(f".pos-client-name [data-client='{lea.pk}']")
    return sale_id


def _scan(page, code: str) -> None:
    page.fill("#pos-search-q", code)
    with page.expect_response(lambda r: r.url.endswith("/add/") and r.request.method == "POST"):
        page.press("#pos-search-q", "Enter")


def _send_to_reader(page) -> None:
    form = page.locator("form.pos-tender-form[data-kind=reader]")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=tender-state]")


def test_the_front_desk_sells_a_pack_and_a_bottle_split_cash_and_reader_then_declined_then_saved_card(
    page, log_in_as, studio, password, laval_desk
):
    desk = laval_desk
    log_in_as(desk["clerk"].user.email, password)

    # The tablet is set to Laval once; the till is open.
    page.goto(f"/{studio.slug}/pos/")
    page.check(f"input[name=location][value='{desk['laval'].pk}']")
    with page.expect_navigation():
        page.click("form.pos-location-form button[type=submit]")
    assert "Selling at Laval" in page.inner_text(".pos-bar")

    # Sale 1: Léa, the 10-class pack from the catalogue, the bottle by its barcode.
    sale_id = _new_sale_for_lea(page, studio, desk["lea"])
    page.click("#pos-tab-plans")
    page.wait_for_selector(f"#pos-add-plan-{desk['pack'].pk}")
    with page.expect_response(lambda r: r.url.endswith("/add/")):
        page.click(f"#pos-add-plan-{desk['pack'].pk}")
    _scan(page, BOTTLE_CODE)
    page.wait_for_selector(f"[data-total='{15000 + 2000}']")
    assert page.input_value("#pos-search-q") == ""  # ready for the next scan
    assert page.locator(".pos-line").count() == 2
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    # By keyboard: "+" on the bottle's line, and the focus stays on it for the next press.
    with scopes_disabled():
        bottle_line = SaleLine.objects.get(sale_id=sale_id, product=desk["bottle"])
    page.focus(f"#line-{bottle_line.pk}-inc")
    with page.expect_response(lambda r: "/lines/" in r.url):
        page.keyboard.press("Enter")
    page.wait_for_selector(f"[data-total='{15000 + 2 * 2000}']")
    assert page.evaluate("document.activeElement.id") == f"line-{bottle_line.pk}-inc"
    with page.expect_response(lambda r: "/lines/" in r.url):
        page.click(f"#line-{bottle_line.pk}-dec")
    page.wait_for_selector(f"[data-total='{15000 + 2000}']")

    # $20 in cash, then the rest on the reader with a 15 % tip.
    cash = page.locator("form.pos-tender-form[data-kind=cash]")
    cash.locator("input[name$=amount]").fill("20.00")
    cash.locator("input[name$=cash_received]").fill("20.00")
    cash.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=tender-balance][data-balance='15000']")
    _send_to_reader(page)
    assert page.get_attribute("[data-testid=tender-state]", "data-state") in ("waiting", "presented")
    _tap(sale_id, studio=studio, tip=2250)  # 15 % of $150.00, chosen on the reader
    page.wait_for_url(f"**/pos/sales/{sale_id}/receipt/", timeout=20_000)
    with scopes_disabled():
        sale = Sale.objects.get(pk=sale_id)
        tenders = {t.kind: t for t in SaleTender.objects.select_related("payment__account").filter(sale=sale)}
    assert sale.status == SaleStatus.COMPLETED
    assert (tenders["cash"].amount, tenders["cash"].status) == (2000, TenderStatus.SUCCEEDED)
    reader = tenders["reader"]
    assert (reader.amount, reader.tip_amount, reader.status) == (15000, 2250, TenderStatus.SUCCEEDED)
    assert reader.payment.account_id == desk["account"].pk  # Laval's own account (PAY-3 rule 1)
    # Where the clerk lands, the reader's answer is said once more: approved, with the card.
    assert page.inner_text("[data-testid=card-approved]").startswith("Approved")
    pdf_href = page.get_attribute("a[href$='/receipt/pdf/']", "href")
    pdf = page.request.get(pdf_href)
    assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body()[:4] == b"%PDF"

    # Sale 2: a bottle; the card on the reader is declined, the saved card pays.
    sale_id = _new_sale_for_lea(page, studio, desk["lea"])
    _scan(page, BOTTLE_CODE)
    page.wait_for_selector("[data-total='2000']")
    _send_to_reader(page)
    _tap(sale_id, studio=studio, card_number=DECLINED_CARD)
    page.wait_for_selector("[data-testid=tender-rows] .pos-tender-failed", timeout=20_000)
    saved = page.locator("form.pos-tender-form[data-kind=saved_card]")
    saved.locator("button[type=submit]").click()
    page.wait_for_url(f"**/pos/sales/{sale_id}/receipt/", timeout=20_000)
    with scopes_disabled():
        sale = Sale.objects.get(pk=sale_id)
        kinds = list(SaleTender.objects.filter(sale=sale).order_by("id").values_list("kind", "status"))
    assert sale.status == SaleStatus.COMPLETED
    assert kinds == [
        (TenderKind.READER, TenderStatus.FAILED),
        (TenderKind.SAVED_CARD, TenderStatus.SUCCEEDED),
    ]
