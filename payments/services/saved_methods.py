"""Saved payment methods (SPM-1 … SPM-8).

Card and bank numbers never reach our servers: Stripe's own fields (Elements, or the
sandbox's stand-in) confirm a SetupIntent we created on the right connected account, and we
only ever read back brand/last 4/expiry or bank name/last 4/holder from Stripe.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from payments import gateway
from payments.models import (
    MAX_SAVED_METHODS,
    ConnectedAccount,
    PaymentSettings,
    SavedPaymentMethod,
    SetupRequest,
    StripeCustomer,
)
from payments.models.settings import Channel, ItemKind
from payments.services.fees import payment_settings_for
from payments.services.routing import Purchase, route_payment
from studio.compiled_sql import compiled_instance, compiled_rows, model_columns
from studio.models import Client, Location, Studio
from studio.services import Actor, audit_record

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FeatureOff(ValidationError):
    pass


# --- the feature switch (SPM-1) ----------------------------------------------------------------


def saved_methods_enabled(*, studio: Studio) -> bool:
    return payment_settings_for(studio=studio).saved_methods_enabled


def saved_methods_enable(*, studio: Studio, actor: Actor, accept_terms: bool) -> PaymentSettings:
    """Turn the feature on; the Owner/Admin who accepted the terms, and when, are stored."""
    if not accept_terms:
        raise ValidationError({"accept_terms": _("Accept the terms of use to turn the feature on.")})
    with transaction.atomic():
        settings = PaymentSettings.objects.select_for_update().get(pk=payment_settings_for(studio=studio).pk)
        settings.saved_methods_enabled = True
        settings.saved_methods_terms_accepted_by = actor.user
        settings.saved_methods_terms_accepted_at = timezone.now()
        settings.save()
        audit_record(studio=studio, actor=actor, action="payments.saved_methods_enabled", obj=settings)
    return settings


def saved_methods_disable(*, studio: Studio, actor: Actor) -> PaymentSettings:
    with transaction.atomic():
        settings = PaymentSettings.objects.select_for_update().get(pk=payment_settings_for(studio=studio).pk)
        settings.saved_methods_enabled = False
        settings.save(update_fields=["saved_methods_enabled"])
        audit_record(studio=studio, actor=actor, action="payments.saved_methods_disabled", obj=settings)
    return settings


def _require_enabled(studio: Studio) -> None:
    if not saved_methods_enabled(studio=studio):
        raise FeatureOff(_("Saved payment methods are turned off for this studio."))


# --- which account a client's methods live on (SPM-4) ------------------------------------------


def account_for_client(
    *, studio: Studio, client: Client, home_location: Location | None = None
) -> ConnectedAccount | None:
    """The account of the client's home location (PAY-3 rule 3), else the studio's default."""
    route = route_payment(
        studio=studio,
        purchase=Purchase(
            channel=Channel.ONLINE,
            item_kind=ItemKind.MEMBERSHIP,
            client_home_location=home_location if home_location is not None else client.home_location,
        ),
    )
    return route.account


# --- one Stripe customer per (client, account) -------------------------------------------------


def stripe_customer_ensure(*, studio: Studio, client: Client, account: ConnectedAccount) -> StripeCustomer:
    """The client's customer on `account`, created on first need — once, even under concurrency.

    The row is unique per (client, account) and its idempotency key is derived from that pair,
    so two concurrent first saves both send the same keyed request and Stripe creates one
    customer, which both then record.
    """
    key = f"customer:{client.pk}:{account.pk}"
    try:
        with transaction.atomic():
            row, _created = StripeCustomer.objects.get_or_create(
                studio=studio, client=client, account=account, defaults={"idempotency_key": key}
            )
    except IntegrityError:
        row = StripeCustomer.objects.get(studio=studio, client=client, account=account)
    if row.stripe_customer_id:
        return row
    created = gateway.customer_create(
        account=account.stripe_account_id,
        idempotency_key=row.idempotency_key,
        email=None,
        name=f"{client.first_name} {client.last_name}".strip()[:100],
        metadata={"atelier_client": str(client.pk), "atelier_studio": str(studio.pk)},
    )
    StripeCustomer.objects.filter(pk=row.pk, stripe_customer_id="").update(stripe_customer_id=created.id)
    row.refresh_from_db()
    return row


# --- listing, defaults (SPM-5, SPM-7) ----------------------------------------------------------


def _methods_query(*, studio_id: int, client_id: int):
    return (
        SavedPaymentMethod.objects.filter(client_id=client_id)
        .annotate(
            default_rank=Case(
                When(is_default=True, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("default_rank", "-created_at", "-id")
        .values_list(
            *model_columns(SavedPaymentMethod),
            *(f"account__{column}" for column in model_columns(ConnectedAccount)),
        )
    )


def saved_methods_for_client(*, client: Client, today=None) -> list[SavedPaymentMethod]:
    """Default first, then newest to oldest; expired cards last (SPM-5). Each with its account.

    Read through SQL compiled once (`studio.compiled_sql`): the POS screen and the checkout ask
    for them on every change of client; `payments/tests/test_saved_methods.py` holds it to the ORM."""
    today = today or timezone.localdate()
    methods = []
    with scope(studio=client.studio_id):
        rows = compiled_rows("saved-methods-of-client", _methods_query, client_id=client.pk)
    for row in rows:
        method, end = compiled_instance(SavedPaymentMethod, row)
        method.account = compiled_instance(ConnectedAccount, row, end)[0]
        methods.append(method)
    return sorted(methods, key=lambda m: m.is_expired(today))  # stable: keeps the order within each group


def methods_usable_for(
    *, client: Client, account: ConnectedAccount | None, today=None
) -> list[SavedPaymentMethod]:
    """Methods a routed payment may use: only those on its account, never expired ones (SPM-4)."""
    if account is None:
        return []
    today = today or timezone.localdate()
    return [
        m
        for m in saved_methods_for_client(client=client, today=today)
        if m.account_id == account.pk and not m.is_expired(today)
    ]


@dataclass(frozen=True)
class DefaultMethod:
    method: SavedPaymentMethod | None
    reason: str


def default_method_for(
    *, client: Client, account: ConnectedAccount | None, today=None, settings: PaymentSettings | None = None
) -> DefaultMethod:
    """The method automatic charges (renewals, fees, instalments) use for `client` on `account`.

    `settings`: the studio's payment settings when the caller has already read them (one query less).
    """
    today = today or timezone.localdate()
    if account is None:
        return DefaultMethod(None, _("The studio has no payment account that can charge."))
    enabled = (
        settings.saved_methods_enabled
        if settings is not None
        else saved_methods_enabled(studio=client.studio)
    )
    if not enabled:
        return DefaultMethod(None, _("Saved payment methods are turned off for this studio."))
    default = (
        SavedPaymentMethod.objects.filter(client=client, account=account, is_default=True)
        .select_related("customer")  # the charge needs its customer id
        .first()
    )
    if default is None:
        if SavedPaymentMethod.objects.filter(client=client, account=account).exists():
            return DefaultMethod(
                None,
                _("The client has saved methods on “%(account)s” but none is the default.")
                % {"account": account.display_name},
            )
        return DefaultMethod(
            None,
            _("The client has no saved payment method on “%(account)s”.") % {"account": account.display_name},
        )
    if default.is_expired(today):
        return DefaultMethod(
            None, _("The client's default card (•••• %(last4)s) has expired.") % {"last4": default.last4}
        )
    return DefaultMethod(default, _("Default method •••• %(last4)s.") % {"last4": default.last4})


def saved_method_set_default(
    *, studio: Studio, actor: Actor, method: SavedPaymentMethod
) -> SavedPaymentMethod:
    _require_enabled(studio)
    with transaction.atomic():
        SavedPaymentMethod.objects.filter(
            studio=studio, client_id=method.client_id, account_id=method.account_id, is_default=True
        ).exclude(pk=method.pk).update(is_default=False)
        SavedPaymentMethod.objects.filter(pk=method.pk).update(is_default=True)
        audit_record(studio=studio, actor=actor, action="payments.saved_method_default", obj=method)
    method.refresh_from_db()
    return method


def saved_method_delete(*, studio: Studio, actor: Actor, method: SavedPaymentMethod) -> None:
    """Detach at Stripe, then forget it (SPM-6). Deleting the default leaves none (SPM-7)."""
    _require_enabled(studio)
    # Already gone at Stripe (detached there, or the account was closed) is fine.
    with contextlib.suppress(gateway.InvalidRequest):
        gateway.payment_method_detach(
            account=method.account.stripe_account_id,
            payment_method_id=method.stripe_payment_method_id,
            idempotency_key=f"detach:{method.pk}",
        )
    with transaction.atomic():
        audit_record(
            studio=studio,
            actor=actor,
            action="payments.saved_method_deleted",
            obj=method,
            changes={"last4": method.last4, "kind": method.kind, "was_default": method.is_default},
        )
        SavedPaymentMethod.objects.filter(pk=method.pk).delete()


# --- saving a method (SPM-2, SPM-3) ------------------------------------------------------------


def _limit_message(source: str) -> str:
    """The limit, said to whoever is saving: the client on their own page, or staff."""
    if source == SavedPaymentMethod.Source.CLIENT:
        return _(
            "You already have %(max)s saved payment methods, the most allowed. Delete one before adding "
            "another."
        ) % {"max": MAX_SAVED_METHODS}
    return _(
        "This client already has %(max)s saved payment methods, the most allowed. Delete one before adding "
        "another."
    ) % {"max": MAX_SAVED_METHODS}


def _duplicate_message(source: str, existing: SavedPaymentMethod) -> str:
    words = {"label": existing.label, "last4": existing.last4}
    if source == SavedPaymentMethod.Source.CLIENT:
        return (
            _(
                "This payment method is already saved on your account (%(label)s •••• %(last4)s): nothing was "
                "added."
            )
            % words
        )
    return (
        _(
            "This payment method is already saved for this client (%(label)s •••• %(last4)s): nothing was "
            "added."
        )
        % words
    )


def _check_room(client: Client, source: str = SavedPaymentMethod.Source.STAFF) -> None:
    if SavedPaymentMethod.objects.filter(client=client).count() >= MAX_SAVED_METHODS:
        raise ValidationError(_limit_message(source), code="limit")


def setup_start(
    *, studio: Studio, actor: Actor, client: Client, kind: str, source: str, make_default: bool = False
) -> SetupRequest:
    """Create the SetupIntent Stripe's fields will confirm, on the client's home-location account."""
    _require_enabled(studio)
    _check_room(client, source)
    if kind not in SavedPaymentMethod.Kind.values:
        raise ValidationError(_("Unknown payment method type."))
    by_client = source == SavedPaymentMethod.Source.CLIENT
    if kind != SavedPaymentMethod.Kind.CARD and not (client.email and EMAIL_RE.match(client.email)):
        raise ValidationError(
            _(
                "A bank account can only be saved with a valid email address on your account: the debit agreement "
                "is sent there."
            )
            if by_client
            else _(
                "A bank account can only be saved for a client with a valid email address: the debit agreement is "
                "sent there."
            )
        )
    account = account_for_client(studio=studio, client=client)
    if account is None:
        raise ValidationError(
            _("Payment methods cannot be saved online yet: ask the studio.")
            if by_client
            else _("Connect a Stripe account that can take payments before saving payment methods.")
        )
    customer = stripe_customer_ensure(studio=studio, client=client, account=account)
    with transaction.atomic():
        request = SetupRequest.objects.create(
            studio=studio,
            client=client,
            account=account,
            customer=customer,
            kind=kind,
            source=source,
            idempotency_key="pending",
            make_default=make_default,
            created_by=actor.user,
        )
        request.idempotency_key = f"setup:{request.pk}"
        request.save(update_fields=["idempotency_key"])
    options = None
    if kind == SavedPaymentMethod.Kind.ACSS_DEBIT:
        options = {
            "acss_debit": {
                "currency": studio.currency.lower(),
                "mandate_options": {
                    "payment_schedule": "interval",
                    "transaction_type": "personal",
                    "interval_description": _("when a membership renews or a fee is due at %(studio)s")
                    % {"studio": studio.name},
                },
            }
        }
    elif kind == SavedPaymentMethod.Kind.US_BANK_ACCOUNT:
        options = {"us_bank_account": {"verification_method": "automatic"}}
    intent = gateway.setup_intent_create(
        account=account.stripe_account_id,
        idempotency_key=request.idempotency_key,
        customer_id=customer.stripe_customer_id,
        payment_method_types=[kind],
        payment_method_options=options,
        metadata={"atelier_setup_request": str(request.pk), "atelier_studio": str(studio.pk)},
    )
    SetupRequest.objects.filter(pk=request.pk).update(
        stripe_setup_intent_id=intent.id, client_secret=intent.client_secret or ""
    )
    request.refresh_from_db()
    return request


def setup_complete(
    *, studio: Studio, actor: Actor, setup_request: SetupRequest, consent: bool
) -> SavedPaymentMethod:
    """Record the method the client's SetupIntent saved — after reading it back from Stripe."""
    if setup_request.source == SavedPaymentMethod.Source.STAFF and not consent:
        raise ValidationError(_("Tick that the client agreed to save this payment method."))
    account_id = setup_request.account.stripe_account_id
    intent = gateway.setup_intent_retrieve(
        account=account_id, setup_intent_id=setup_request.stripe_setup_intent_id
    )
    if intent.status != "succeeded" or not intent.payment_method:
        message = intent.last_error_message or _("The payment method was not confirmed.")
        SetupRequest.objects.filter(pk=setup_request.pk).update(failure_message=message[:300])
        raise ValidationError(message)
    pm = gateway.payment_method_retrieve(account=account_id, payment_method_id=intent.payment_method)
    already = SavedPaymentMethod.objects.filter(
        studio=studio, account=setup_request.account, stripe_payment_method_id=pm.id
    ).first()
    if already is not None:
        return already
    refused = ""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=setup_request.client_id)  # serialises the limit
        twin = (
            SavedPaymentMethod.objects.filter(
                client=client, account=setup_request.account, fingerprint=pm.fingerprint
            ).first()
            if pm.fingerprint
            else None
        )
        if twin is not None:
            refused = _duplicate_message(setup_request.source, twin)
            SetupRequest.objects.filter(pk=setup_request.pk).update(
                status=SetupRequest.Status.FAILED, failure_message="duplicate"
            )
        elif SavedPaymentMethod.objects.filter(client=client).count() >= MAX_SAVED_METHODS:
            refused = _limit_message(setup_request.source)
            SetupRequest.objects.filter(pk=setup_request.pk).update(
                status=SetupRequest.Status.FAILED, failure_message="limit reached"
            )
        else:
            has_default = SavedPaymentMethod.objects.filter(
                client=client, account=setup_request.account, is_default=True
            ).exists()
            make_default = setup_request.make_default or not has_default
            if make_default and has_default:
                SavedPaymentMethod.objects.filter(
                    client=client, account=setup_request.account, is_default=True
                ).update(is_default=False)
            details = pm.raw.get(pm.type) or {}
            method = SavedPaymentMethod.objects.create(
                studio=studio,
                client=client,
                account=setup_request.account,
                customer=setup_request.customer,
                stripe_payment_method_id=pm.id,
                kind=pm.type,
                brand=(details.get("brand") or "") if pm.type == "card" else "",
                bank_name=(details.get("bank_name") or "") if pm.type != "card" else "",
                last4=pm.last4 or "",
                exp_month=pm.exp_month,
                exp_year=pm.exp_year,
                account_holder=pm.holder_name or "",
                fingerprint=(pm.fingerprint or "")[:64],
                is_default=make_default,
                source=setup_request.source,
                consent_at=timezone.now(),
                mandate_id=intent.mandate or "",
                created_by=actor.user,
            )
            SetupRequest.objects.filter(pk=setup_request.pk).update(status=SetupRequest.Status.SAVED)
            audit_record(
                studio=studio,
                actor=actor,
                action="payments.saved_method_added",
                obj=method,
                changes={
                    "kind": method.kind,
                    "last4": method.last4,
                    "account": str(setup_request.account),
                    "source": method.source,
                },
            )
    if refused:
        # The refused copy stays at Stripe otherwise, attached to the customer: detach it.
        with contextlib.suppress(gateway.GatewayError):
            gateway.payment_method_detach(
                account=account_id,
                payment_method_id=pm.id,
                idempotency_key=f"detach-refused:{setup_request.pk}",
            )
        raise ValidationError(refused)
    return method


# --- home location changes (SPM-4, seed 000) ---------------------------------------------------


def home_location_change_impact(*, client: Client, new_location: Location | None) -> list[SavedPaymentMethod]:
    """Saved methods that stop being usable for the client's online purchases after the change."""
    if client.pk is None:
        return []
    new_account = account_for_client(studio=client.studio, client=client, home_location=new_location)
    return [
        m
        for m in saved_methods_for_client(client=client)
        if new_account is None or m.account_id != new_account.pk
    ]


# --- a card saved during a sale (SPM-3) --------------------------------------------------------


def saved_method_from_payment(*, payment) -> SavedPaymentMethod | None:
    """Record the card a saving payment kept at Stripe, on the payment's own account (SPM-4).

    Called by the worker once the payment succeeded (`payments.saved_method_from_payment`). The
    card is the reader charge's `generated_card` (card_present) or the intent's payment method
    (a card typed into Stripe's fields); `source=pos`, consent as of the payment (the clerk
    ticked it then). The 5-method limit and duplicates (same fingerprint on the account) are
    respected: a refused copy is detached at Stripe and the refusal audited. Idempotent: run
    twice, it records one method. Returns the method, or None when nothing was saved.
    """
    from payments.models import Payment

    if (
        not payment.save_method
        or payment.status != Payment.Status.SUCCEEDED
        or payment.client_id is None
        or payment.account_id is None
        or not payment.stripe_payment_intent_id
    ):
        return None
    account = payment.account
    intent = gateway.payment_intent_retrieve(
        account=account.stripe_account_id, payment_intent_id=payment.stripe_payment_intent_id
    )
    pm_id = (
        intent.generated_card_id
        if payment.method == Payment.Method.CARD_PRESENT
        else intent.payment_method_id
    )
    if not pm_id:
        return None
    already = SavedPaymentMethod.objects.filter(
        studio_id=payment.studio_id, account=account, stripe_payment_method_id=pm_id
    ).first()
    if already is not None:
        return already
    studio = payment.studio
    actor = Actor(user=payment.created_by)
    pm = gateway.payment_method_retrieve(account=account.stripe_account_id, payment_method_id=pm_id)
    refused = ""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=payment.client_id)  # serialises the limit
        customer = StripeCustomer.objects.filter(studio=studio, client=client, account=account).first()
        twin = (
            SavedPaymentMethod.objects.filter(
                client=client, account=account, fingerprint=pm.fingerprint
            ).first()
            if pm.fingerprint
            else None
        )
        if not saved_methods_enabled(studio=studio):
            refused = "feature_off"
        elif customer is None or not customer.stripe_customer_id:
            refused = "no_customer"
        elif twin is not None:
            refused = "duplicate"
        elif SavedPaymentMethod.objects.filter(client=client).count() >= MAX_SAVED_METHODS:
            refused = "limit"
        if refused:
            audit_record(
                studio=studio,
                actor=actor,
                action="payments.saved_method_refused",
                obj=client,
                changes={"payment": payment.pk, "save_refused": refused, "last4": pm.last4 or ""},
            )
        else:
            has_default = SavedPaymentMethod.objects.filter(
                client=client, account=account, is_default=True
            ).exists()
            method = SavedPaymentMethod.objects.create(
                studio=studio,
                client=client,
                account=account,
                customer=customer,
                stripe_payment_method_id=pm.id,
                kind=SavedPaymentMethod.Kind.CARD,
                brand=pm.brand or "",
                last4=pm.last4 or "",
                exp_month=pm.exp_month,
                exp_year=pm.exp_year,
                account_holder=(pm.holder_name or "")[:120],
                fingerprint=(pm.fingerprint or "")[:64],
                is_default=not has_default,
                source=SavedPaymentMethod.Source.POS,
                consent_at=payment.created_at,
                created_by=payment.created_by,
            )
            audit_record(
                studio=studio,
                actor=actor,
                action="payments.saved_method_added",
                obj=method,
                changes={
                    "kind": method.kind,
                    "last4": method.last4,
                    "account": str(account),
                    "source": method.source,
                    "payment": payment.pk,
                },
            )
    if refused:
        # The refused copy stays at Stripe otherwise, attached to the customer: detach it.
        with contextlib.suppress(gateway.GatewayError):
            gateway.payment_method_detach(
                account=account.stripe_account_id,
                payment_method_id=pm.id,
                idempotency_key=f"detach-refused:payment:{payment.pk}",
            )
        return None
    return method
