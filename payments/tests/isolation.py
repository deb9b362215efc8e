"""Payments URLs with ids, for the isolation and permission matrices (see tests/isolation.py)."""

from __future__ import annotations

from django_scopes import scopes_disabled

from payments.models import ConnectedAccount


def _account(studio):
    with scopes_disabled():
        account = ConnectedAccount.objects.create(studio=studio, display_name=f"Acct {studio.slug}",
                                                  creation_key=f"iso:{studio.slug}:{ConnectedAccount.objects.count()}",
                                                  stripe_account_id="", state=ConnectedAccount.State.CREATING)
    return {"pk": account.pk}


CASES = {
    "payments-account-detail": _account,
    "payments-account-status": _account,
    "payments-account-onboard": _account,
    "payments-account-return": _account,
    "payments-account-edit": _account,
}
