"""Connect Stripe (PAY-1) and several accounts per studio (PAY-2)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from payments import gateway, selectors
from payments.forms import ConnectedAccountEditForm, ConnectedAccountForm
from payments.models import ConnectedAccount, ConnectedAccountLocation
from payments.services import accounts as services
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor


@staff_required(Perm.CONNECT_PAYMENTS)
def account_list(request):
    accounts = ConnectedAccount.objects.filter(studio=request.studio).order_by(
        "-is_default", "display_name", "id"
    )
    links = ConnectedAccountLocation.objects.filter(studio=request.studio).select_related("location")
    served: dict[int, list[str]] = {}
    for link in links:
        served.setdefault(link.account_id, []).append(link.location.name)
    rows = [(account, sorted(served.get(account.pk, []))) for account in accounts]
    return render(request, "payments/account_list.html", {"rows": rows})


@staff_required(Perm.CONNECT_PAYMENTS)
def account_create(request):
    form = ConnectedAccountForm(request.POST or None, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.connected_account_start(
                studio=request.studio,
                actor=Actor.from_request(request),
                display_name=form.cleaned_data["display_name"],
                locations=list(form.cleaned_data["locations"]),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("payments-account-detail", studio_slug=request.studio.slug, pk=account.pk)
    return render(request, "payments/account_create.html", {"form": form})


def _detail_context(request, account):
    locations = [
        link.location
        for link in ConnectedAccountLocation.objects.filter(account=account).select_related("location")
    ]
    return {
        "account": account,
        "locations": locations,
        "requirements": selectors.account_requirements(account=account),
    }


@staff_required(Perm.CONNECT_PAYMENTS)
def account_detail(request, pk):
    account = get_object_or_404(ConnectedAccount, pk=pk)
    return render(request, "payments/account_detail.html", _detail_context(request, account))


@staff_required(Perm.CONNECT_PAYMENTS)
def account_status(request, pk):
    """The status card alone; htmx polls it while the account is being created."""
    account = get_object_or_404(ConnectedAccount, pk=pk)
    services.connected_account_nudge(account=account)
    return render(request, "payments/account_status.html", _detail_context(request, account))


@staff_required(Perm.CONNECT_PAYMENTS)
def account_onboard(request, pk):
    """POST from our page, or GET from Stripe's `refresh_url` when a link expired: a fresh link."""
    account = get_object_or_404(ConnectedAccount, pk=pk)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        url = services.connected_account_onboarding_link(account=account)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except gateway.GatewayError as exc:
        messages.error(
            request,
            _("Stripe could not start onboarding (%(error)s). Try again in a moment.")
            % {"error": exc.message},
        )
    else:
        return redirect(url)
    return redirect("payments-account-detail", studio_slug=request.studio.slug, pk=account.pk)


@staff_required(Perm.CONNECT_PAYMENTS)
def account_return(request, pk):
    """Stripe's `return_url`: the person left onboarding (finished or not); re-read the account."""
    account = get_object_or_404(ConnectedAccount, pk=pk)
    try:
        account = services.connected_account_sync(account=account)
    except gateway.GatewayError:
        messages.warning(request, _("We could not reach Stripe; the status below will update shortly."))
    else:
        if account.state == ConnectedAccount.State.READY:
            messages.success(request, _("Your Stripe account is ready to take payments."))
        else:
            messages.info(
                request, _("Stripe still needs some information. You can resume onboarding at any time.")
            )
    return redirect("payments-account-detail", studio_slug=request.studio.slug, pk=account.pk)


@staff_required(Perm.CONNECT_PAYMENTS)
def account_edit(request, pk):
    account = get_object_or_404(ConnectedAccount, pk=pk)
    current = [link.location_id for link in ConnectedAccountLocation.objects.filter(account=account)]
    form = ConnectedAccountEditForm(
        request.POST or None,
        studio=request.studio,
        initial={
            "display_name": account.display_name,
            "is_default": account.is_default,
            "locations": current,
        },
    )
    stranded, stranded_total, signature = [], 0, ""
    if request.method == "POST" and form.is_valid():
        locations = list(form.cleaned_data["locations"])
        signature = _change_signature(locations, form.cleaned_data["is_default"])
        if request.POST.get("confirm") != signature:
            # Warn first, as the client edit page does: whose saved methods stop being usable.
            stranded, stranded_total = selectors.account_change_impact(
                studio=request.studio,
                account=account,
                locations=locations,
                is_default=form.cleaned_data["is_default"],
            )
    if request.method == "POST" and form.is_valid() and not stranded:
        try:
            moved = services.connected_account_update(
                studio=request.studio,
                actor=Actor.from_request(request),
                account=account,
                display_name=form.cleaned_data["display_name"],
                is_default=form.cleaned_data["is_default"],
                locations=list(form.cleaned_data["locations"]),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if moved:
                messages.info(request, _("Moved to this account: %(names)s.") % {"names": ", ".join(moved)})
            messages.success(request, _("Account saved."))
            return redirect("payments-account-detail", studio_slug=request.studio.slug, pk=account.pk)
    return render(
        request,
        "payments/account_edit.html",
        {
            "form": form,
            "account": account,
            "stranded": stranded,
            "stranded_total": stranded_total,
            "stranded_more": stranded_total - len(stranded),
            "signature": signature,
        },
    )


def _change_signature(locations, is_default: bool) -> str:
    """Names the exact change a warning was shown for: a different selection is warned about again."""
    return ",".join(str(pk) for pk in sorted(loc.pk for loc in locations)) + (
        ":default" if is_default else ":"
    )
