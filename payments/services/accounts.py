"""Connected accounts (PAY-1, PAY-2): create in the worker, onboard through Account Links, sync.

Creating an account is a Stripe write that may be slow or fail, so the page commits a
CREATING row and the worker makes the call with the row's own idempotency key; the page
follows progress with htmx. Every `account.updated` / `capability.updated` event, and every
return from onboarding, re-reads the account from Stripe (`connected_account_sync`), so the
order in which events arrive never matters.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import gateway
from payments.models import ConnectedAccount, ConnectedAccountLocation, StripeAccountDirectory
from studio.models import Location, Studio
from studio.services import SYSTEM, Actor, audit_record
from studio.tasking import enqueue_by_name


def _assign_locations(*, studio: Studio, account: ConnectedAccount, locations: list[Location]) -> list[str]:
    """Point each home location at `account`; returns the names moved from another account."""
    moved = []
    for location in locations:
        if not location.is_home_location:
            raise ValidationError(_("Only home locations can have their own payment account."))
        link = (
            ConnectedAccountLocation.objects.select_related("account")
            .filter(studio=studio, location=location)
            .first()
        )
        if link is None:
            ConnectedAccountLocation.objects.create(studio=studio, account=account, location=location)
        elif link.account_id != account.pk:
            moved.append(location.name)
            link.account = account
            link.save(update_fields=["account"])
    ConnectedAccountLocation.objects.filter(studio=studio, account=account).exclude(
        location__in=[loc.pk for loc in locations]
    ).delete()
    return moved


def connected_account_start(
    *, studio: Studio, actor: Actor, display_name: str, locations: list[Location]
) -> ConnectedAccount:
    """Commit a new account row and ask the worker to create it at Stripe."""
    with transaction.atomic():
        Studio.objects.select_for_update().get(pk=studio.pk)  # serialise "first account is the default"
        is_first = (
            not ConnectedAccount.objects.filter(studio=studio)
            .exclude(state=ConnectedAccount.State.FAILED)
            .exists()
        )
        account = ConnectedAccount.objects.create(
            studio=studio,
            display_name=display_name,
            is_default=is_first,
            creation_key="pending",
            created_by=actor.user,
        )
        account.creation_key = f"connected-account:{account.pk}"
        account.save(update_fields=["creation_key"])
        _assign_locations(studio=studio, account=account, locations=locations)
        audit_record(
            studio=studio,
            actor=actor,
            action="payments.account_started",
            obj=account,
            changes={"locations": [loc.name for loc in locations]},
        )
        enqueue_by_name("payments.connected_account_create", studio.pk, account.pk)
    return account


def connected_account_create_at_stripe(*, account: ConnectedAccount) -> ConnectedAccount:
    """Worker: the Stripe write, with the row's own key (a retried task gets the same account)."""
    if account.stripe_account_id:
        return account
    studio = account.studio
    email = account.created_by.email if account.created_by_id else None
    try:
        created = gateway.account_create(
            idempotency_key=account.creation_key,
            country=studio.country,
            email=email,
            business_name=account.display_name,
            metadata={"atelier_studio": str(studio.pk), "atelier_account": str(account.pk)},
        )
    except gateway.StripeUnavailable:
        raise  # the task retries with the same key
    except gateway.GatewayError as exc:
        with transaction.atomic():
            ConnectedAccount.objects.filter(pk=account.pk).update(
                state=ConnectedAccount.State.FAILED, last_error=exc.message[:300]
            )
        account.refresh_from_db()
        return account
    with transaction.atomic():
        StripeAccountDirectory.objects.get_or_create(
            stripe_account_id=created.id, defaults={"studio_id": studio.pk}
        )
        ConnectedAccount.objects.filter(pk=account.pk).update(
            stripe_account_id=created.id, state=ConnectedAccount.State.ONBOARDING
        )
        audit_record(
            studio=studio,
            actor=SYSTEM,
            action="payments.account_created",
            obj=account,
            changes={"stripe_account": created.id},
        )
    account.refresh_from_db()
    return _apply_state(account, created)


def connected_account_nudge(*, account: ConnectedAccount, after_seconds: int = 20) -> bool:
    """Queue the creation again if it has been waiting too long (the broker was down, a worker
    died). Safe: the creation is keyed by the row, so a second task gets the same account."""
    waiting = timezone.now() - account.created_at
    if account.state != ConnectedAccount.State.CREATING or waiting.total_seconds() < after_seconds:
        return False
    enqueue_by_name("payments.connected_account_create", account.studio_id, account.pk)
    return True


def _state_for(remote: gateway.types.Account) -> str:
    if remote.charges_enabled and remote.payouts_enabled and not remote.currently_due:
        return ConnectedAccount.State.READY
    if remote.details_submitted:
        return ConnectedAccount.State.RESTRICTED
    return ConnectedAccount.State.ONBOARDING


def _deadline(remote: gateway.types.Account) -> datetime | None:
    """Stripe's `requirements.current_deadline` (a Unix time), if it gave one."""
    stamp = ((remote.raw or {}).get("requirements") or {}).get("current_deadline")
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        return None
    return datetime.fromtimestamp(stamp, tz=UTC)


def _apply_state(account: ConnectedAccount, remote: gateway.types.Account) -> ConnectedAccount:
    with transaction.atomic():
        locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        before = (locked.charges_enabled, locked.payouts_enabled, locked.details_submitted, locked.state)
        locked.charges_enabled = remote.charges_enabled
        locked.payouts_enabled = remote.payouts_enabled
        locked.details_submitted = remote.details_submitted
        locked.requirements_due = list(remote.currently_due)
        locked.requirements_past_due = list(remote.past_due)
        locked.requirements_deadline = _deadline(remote)
        locked.disabled_reason = remote.disabled_reason or ""
        locked.state = _state_for(remote)
        locked.synced_at = timezone.now()
        locked.save()
        after = (locked.charges_enabled, locked.payouts_enabled, locked.details_submitted, locked.state)
        if before != after:
            audit_record(
                studio=locked.studio,
                actor=SYSTEM,
                action="payments.account_status",
                obj=locked,
                changes={
                    "charges_enabled": locked.charges_enabled,
                    "payouts_enabled": locked.payouts_enabled,
                    "state": locked.state,
                },
            )
    return locked


def connected_account_sync(*, account: ConnectedAccount) -> ConnectedAccount:
    """Re-read the account from Stripe and record what it says (return from onboarding, webhooks)."""
    if not account.stripe_account_id:
        return account
    return _apply_state(account, gateway.account_retrieve(account_id=account.stripe_account_id))


def connected_account_onboarding_link(*, account: ConnectedAccount) -> str:
    """A fresh Account Link (they are single-use and expire); its key is numbered on our row."""
    if not account.stripe_account_id:
        raise ValidationError(_("The account is still being created; try again in a moment."))
    with transaction.atomic():
        locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        locked.link_attempts += 1
        locked.save(update_fields=["link_attempts"])
    studio = account.studio
    base = settings.SITE_URL.rstrip("/")
    kwargs = {"studio_slug": studio.slug, "pk": account.pk}
    link = gateway.account_link_create(
        account_id=account.stripe_account_id,
        idempotency_key=f"account-link:{account.pk}:{locked.link_attempts}",
        refresh_url=base + reverse("payments-account-onboard", kwargs=kwargs),
        return_url=base + reverse("payments-account-return", kwargs=kwargs),
    )
    return link.url


def connected_account_update(
    *,
    studio: Studio,
    actor: Actor,
    account: ConnectedAccount,
    display_name: str,
    is_default: bool,
    locations: list[Location],
) -> list[str]:
    """Rename, make default, choose the home locations it serves. Returns locations moved to it."""
    with transaction.atomic():
        if is_default and not account.is_default:
            ConnectedAccount.objects.filter(studio=studio, is_default=True).update(is_default=False)
        elif not is_default and account.is_default:
            raise ValidationError(_("Make another account the default instead; a studio always has one."))
        account.display_name = display_name
        account.is_default = is_default
        account.save(update_fields=["display_name", "is_default"])
        moved = _assign_locations(studio=studio, account=account, locations=locations)
        audit_record(
            studio=studio,
            actor=actor,
            action="payments.account_changed",
            obj=account,
            changes={"default": is_default, "locations": [loc.name for loc in locations]},
        )
    return moved


def account_for_location(*, studio: Studio, location: Location) -> ConnectedAccount | None:
    link = (
        ConnectedAccountLocation.objects.select_related("account")
        .filter(studio=studio, location=location)
        .first()
    )
    return link.account if link else None
