"""Escrow (PAY-6): the balance, payout requests with seed 000's bank details, and the operator
marking them paid in the Django admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from payments.models import EscrowPayoutRequest, Payment
from payments.services import escrow as escrow_services
from payments.services.escrow import (
    escrow_balance,
    escrow_payout_mark_paid,
    escrow_payout_reject,
    escrow_payout_request,
)
from studio.models import AuditLog
from studio.permissions import RoleKind
from studio.services import Actor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BANK = {
    "legal_name": "Studio Alpha inc.",
    "account_type": "business",
    "routing_number": "12345-003",
    "account_number": "1234567",
    "bic": "",
    "address": "1 rue Saint-Denis, Montréal QC",
}


def _payment(studio, amount, *, escrow=True, status=Payment.Status.SUCCEEDED, refunded=0):
    with scopes_disabled():
        n = Payment.objects.count()
        return Payment.objects.create(
            studio=studio,
            amount=amount,
            currency="CAD",
            routing_rule="escrow" if escrow else "default",
            routing_reason="r",
            channel="online",
            item_kind="membership",
            description=f"P{n}",
            is_escrow=escrow,
            idempotency_key=f"esc:{n}",
            status=status,
            amount_refunded=refunded,
        )


def _request(studio, owner, amount, **overrides):
    with scope(studio=studio):
        return escrow_payout_request(
            studio=studio, actor=Actor(user=owner.user), amount=amount, **{**BANK, **overrides}
        )


def _balance(studio):
    with scope(studio=studio):
        return escrow_balance(studio=studio)


def test_balance_counts_succeeded_escrow_payments_minus_refunds_and_requests(studio, other_studio, owner):
    _payment(studio, 5000, refunded=1000)
    _payment(studio, 3000)
    _payment(studio, 9999, status=Payment.Status.FAILED)  # never taken
    _payment(studio, 7777, escrow=False)  # on a connected account: not held by the platform
    _payment(other_studio, 4444)  # another studio's money
    assert _balance(studio) == 7000
    first = _request(studio, owner, 1500)
    paid = _request(studio, owner, 500)
    rejected = _request(studio, owner, 2000)
    with scopes_disabled():
        escrow_payout_mark_paid(payout=paid, actor=Actor(user=None), reference="WIRE-1")
        escrow_payout_reject(payout=rejected, actor=Actor(user=None), note="wrong bank")
    assert first.status == EscrowPayoutRequest.Status.REQUESTED
    assert _balance(studio) == 7000 - 1500 - 500
    assert _balance(other_studio) == 4444


def test_request_cannot_exceed_the_balance_or_be_empty(studio, owner):
    _payment(studio, 2000)
    with pytest.raises(ValidationError):
        _request(studio, owner, 2001)
    with pytest.raises(ValidationError):
        _request(studio, owner, 0)
    _request(studio, owner, 2000)
    with pytest.raises(ValidationError):
        _request(studio, owner, 1)
    assert _balance(studio) == 0


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("FR14 2004 1010 0505 0001 3M02 606", True),
        ("GB82 WEST 1234 5698 7654 33", False),  # wrong check digits
        ("GB82", False),
        ("1234567", True),
        ("12-345-678-901", True),
        ("1234", False),
        ("12345678901234567890", False),
        ("12AB34", False),
    ],
)
def test_account_number_sanity(value, ok):
    if ok:
        assert escrow_services.clean_account_number(value)
    else:
        with pytest.raises(ValidationError):
            escrow_services.clean_account_number(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("12345-003", True),
        ("012345678", True),
        ("021000021", True),
        ("1234", False),
        ("12345-00A", False),
        ("", True),
    ],
)
def test_routing_number_sanity(value, ok):
    if ok:
        escrow_services.clean_routing_number(value)
    else:
        with pytest.raises(ValidationError):
            escrow_services.clean_routing_number(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("ROYCCAT2", True), ("royccat2xxx", True), ("ROYC", False), ("ROYCCA", False), ("", True)],
)
def test_bic_sanity(value, ok):
    if ok:
        escrow_services.clean_bic(value)
    else:
        with pytest.raises(ValidationError):
            escrow_services.clean_bic(value)


def test_domestic_account_needs_a_routing_number_but_iban_does_not(studio, owner):
    _payment(studio, 2000)
    with pytest.raises(ValidationError):
        _request(studio, owner, 100, routing_number="")
    iban = _request(
        studio, owner, 100, routing_number="", account_number="GB82 WEST 1234 5698 7654 32", bic="NWBKGB2L"
    )
    assert iban.account_number == "GB82WEST12345698765432"


# --- the page ----------------------------------------------------------------------------------


def _url(studio):
    return reverse("payments-escrow", kwargs={"studio_slug": studio.slug})


def test_owner_sees_balance_and_files_a_request(owner_client, studio):
    _payment(studio, 4000)
    page = owner_client.get(_url(studio)).content.decode()
    assert "$40.00" in page and "Legal name of the account holder" in page
    response = owner_client.post(_url(studio), {**BANK, "amount": "25.00"})
    assert response.status_code == 302
    with scopes_disabled():
        payout = EscrowPayoutRequest.objects.get(studio=studio)
        assert AuditLog.objects.filter(studio=studio, action="escrow.payout_requested").exists()
    assert payout.amount == 2500 and payout.routing_number == "12345003"
    assert _balance(studio) == 1500


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "40.01"),
        ("amount", "0"),
        ("account_number", "12"),
        ("account_number", "GB00WEST12345698765432"),
        ("bic", "XX"),
        ("routing_number", ""),
        ("legal_name", ""),
    ],
)
def test_invalid_requests_show_errors(owner_client, studio, field, value):
    _payment(studio, 4000)
    response = owner_client.post(_url(studio), {**BANK, "amount": "10", field: value})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    with scopes_disabled():
        assert not EscrowPayoutRequest.objects.filter(studio=studio).exists()


def test_front_desk_cannot_see_escrow(login, studio, staff_factory):
    clerk = staff_factory(RoleKind.FRONT_DESK)
    assert login(clerk.user).get(_url(studio)).status_code == 403


# --- the operator's admin action -----------------------------------------------------------------


def test_operator_marks_a_request_paid_in_the_admin(client, studio, owner):
    _payment(studio, 3000)
    payout = _request(studio, owner, 3000)
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("admin:payments_escrowpayoutrequest_changelist")
    assert client.get(url).status_code == 200
    confirm = client.post(url, {"action": "mark_paid", "_selected_action": [payout.pk]})
    assert confirm.status_code == 200 and "Transfer reference" in confirm.content.decode()
    done = client.post(
        url,
        {"action": "mark_paid", "_selected_action": [payout.pk], "apply": "1", "reference": "WIRE-2026-001"},
    )
    assert done.status_code == 302
    with scopes_disabled():
        payout.refresh_from_db()
        audit = AuditLog.objects.get(studio=studio, action="escrow.payout_paid")
    assert payout.status == EscrowPayoutRequest.Status.PAID and payout.paid_at is not None
    assert payout.paid_reference == "WIRE-2026-001" and audit.actor == operator
    assert _balance(studio) == 0
    page_url = reverse("admin:payments_escrowpayoutrequest_change", args=[payout.pk])
    assert client.get(page_url).status_code == 200


def test_operator_rejects_a_request_and_the_balance_returns(client, studio, owner):
    _payment(studio, 3000)
    payout = _request(studio, owner, 1000)
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    client.post(
        reverse("admin:payments_escrowpayoutrequest_changelist"),
        {"action": "reject", "_selected_action": [payout.pk]},
    )
    with scopes_disabled():
        payout.refresh_from_db()
    assert payout.status == EscrowPayoutRequest.Status.REJECTED
    assert _balance(studio) == 3000
    with scopes_disabled(), pytest.raises(ValidationError):
        escrow_payout_mark_paid(payout=payout, actor=Actor(user=operator), reference="x")
