"""Saved payment methods pages: the feature switch, the staff profile panel, client self-service.

Card and bank numbers are typed into Stripe's own fields (Stripe.js, or the sandbox's stand-in)
and go straight to Stripe; our server only ever receives the SetupIntent's id and the consent.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from payments import gateway, selectors
from payments.models import SavedPaymentMethod, SetupRequest
from payments.services import saved_methods as svc
from payments.services.fees import payment_settings_for
from studio.access import client_required, staff_required
from studio.models import Client
from studio.permissions import Perm
from studio.services import Actor

KINDS = {k.value: k.label for k in SavedPaymentMethod.Kind}


# --- the feature switch (SPM-1) -----------------------------------------------------------------


@staff_required(Perm.MANAGE_SETTINGS, owner_or_admin=True)
def feature_settings(request):
    settings_row = payment_settings_for(studio=request.studio)
    error = None
    confirm_disable = None
    if request.method == "POST":
        actor = Actor.from_request(request)
        if request.POST.get("action") == "disable" and request.POST.get("confirm") != "1":
            # Turning off stops every automatic charge on saved methods: say so, with the numbers, first.
            confirm_disable = selectors.saved_methods_in_use(studio=request.studio)
        elif request.POST.get("action") == "disable":
            svc.saved_methods_disable(studio=request.studio, actor=actor)
            messages.success(request, _("Saved payment methods are turned off."))
            return redirect("payments-saved-methods-settings", studio_slug=request.studio.slug)
        try:
            svc.saved_methods_enable(
                studio=request.studio, actor=actor, accept_terms=request.POST.get("accept_terms") == "1"
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, _("Saved payment methods are on. Now choose which roles may add, edit and use them.")
            )
            return redirect("role-list", studio_slug=request.studio.slug)
    return render(
        request,
        "payments/saved_methods_settings.html",
        {
            "settings_row": settings_row,
            "error": error,
            "confirm_disable": confirm_disable,
            "tab": "saved-methods",
        },
    )


# --- shared page for adding a method -------------------------------------------------------------


def _start_page(
    request,
    *,
    client: Client,
    kind: str,
    source: str,
    complete_url_name: str,
    back_url: str,
    base_template: str,
):
    if kind not in KINDS:
        raise Http404
    try:
        setup = svc.setup_start(
            studio=request.studio, actor=Actor.from_request(request), client=client, kind=kind, source=source
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back_url)
    except gateway.GatewayError as exc:
        messages.error(
            request, _("Stripe could not be reached (%(error)s). Try again.") % {"error": exc.message}
        )
        return redirect(back_url)
    kwargs = {"studio_slug": request.studio.slug, "setup_pk": setup.pk}
    if source == SavedPaymentMethod.Source.STAFF:
        kwargs["pk"] = client.pk
    complete_url = reverse(complete_url_name, kwargs=kwargs)
    return render(
        request,
        "payments/saved_method_add.html",
        {
            "client": client,
            "kind": kind,
            "kind_label": KINDS[kind],
            "setup": setup,
            "complete_url": complete_url,
            "back_url": back_url,
            "base_template": base_template,
            "staff_flow": source == SavedPaymentMethod.Source.STAFF,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        },
    )


def _complete(request, *, setup: SetupRequest, redirect_url: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        method = svc.setup_complete(
            studio=request.studio,
            actor=Actor.from_request(request),
            setup_request=setup,
            consent=request.POST.get("consent") == "1",
        )
    except ValidationError as exc:
        return JsonResponse({"ok": False, "error": " ".join(exc.messages)}, status=400)
    except gateway.GatewayError as exc:
        return JsonResponse({"ok": False, "error": exc.message}, status=502)
    messages.success(
        request, _("%(label)s •••• %(last4)s saved.") % {"label": method.label, "last4": method.last4}
    )
    return JsonResponse({"ok": True, "redirect": redirect_url})


# --- staff, on a client's profile (SPM-2, SPM-6) ----------------------------------------------------


def _profile_url(request, client_pk: int) -> str:
    return reverse("client-detail", kwargs={"studio_slug": request.studio.slug, "pk": client_pk})


@staff_required(Perm.ADD_SAVED_PAYMENT_METHOD)
def staff_add(request, pk, kind):
    client = get_object_or_404(Client, pk=pk)
    return _start_page(
        request,
        client=client,
        kind=kind,
        source=SavedPaymentMethod.Source.STAFF,
        complete_url_name="payments-staff-method-complete",
        back_url=_profile_url(request, pk),
        base_template="manage_base.html",
    )


@staff_required(Perm.ADD_SAVED_PAYMENT_METHOD)
def staff_complete(request, pk, setup_pk):
    setup = get_object_or_404(
        SetupRequest.objects.select_related("account", "customer"), pk=setup_pk, client_id=pk
    )
    return _complete(request, setup=setup, redirect_url=_profile_url(request, pk))


def _edit_action(request, method: SavedPaymentMethod, action: str, back: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    actor = Actor.from_request(request)
    try:
        if action == "default":
            svc.saved_method_set_default(studio=request.studio, actor=actor, method=method)
            messages.success(
                request,
                _("•••• %(last4)s is now the default for automatic payments.") % {"last4": method.last4},
            )
        else:
            svc.saved_method_delete(studio=request.studio, actor=actor, method=method)
            messages.success(request, _("•••• %(last4)s deleted.") % {"last4": method.last4})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except gateway.GatewayError as exc:
        messages.error(
            request, _("Stripe could not be reached (%(error)s). Try again.") % {"error": exc.message}
        )
    return redirect(back)


@staff_required(Perm.EDIT_SAVED_PAYMENT_METHOD)
def staff_set_default(request, pk):
    method = get_object_or_404(SavedPaymentMethod, pk=pk)
    return _edit_action(request, method, "default", _profile_url(request, method.client_id))


@staff_required(Perm.EDIT_SAVED_PAYMENT_METHOD)
def staff_delete(request, pk):
    method = get_object_or_404(SavedPaymentMethod.objects.select_related("account"), pk=pk)
    return _edit_action(request, method, "delete", _profile_url(request, method.client_id))


# --- the client, on their own account page (SPM-3) ---------------------------------------------------


def _account_url(request) -> str:
    return reverse("account-home", kwargs={"studio_slug": request.studio.slug})


def _client_feature_on(request) -> None:
    if not svc.saved_methods_enabled(studio=request.studio):
        raise Http404


@client_required
def client_add(request, kind):
    _client_feature_on(request)
    return _start_page(
        request,
        client=request.client_profile,
        kind=kind,
        source=SavedPaymentMethod.Source.CLIENT,
        complete_url_name="payments-client-method-complete",
        back_url=_account_url(request),
        base_template="studio/public/base.html",
    )


@client_required
def client_complete(request, setup_pk):
    _client_feature_on(request)
    setup = get_object_or_404(
        SetupRequest.objects.select_related("account", "customer"), pk=setup_pk, client=request.client_profile
    )
    return _complete(request, setup=setup, redirect_url=_account_url(request))


@client_required
def client_set_default(request, pk):
    _client_feature_on(request)
    method = get_object_or_404(SavedPaymentMethod, pk=pk, client=request.client_profile)
    return _edit_action(request, method, "default", _account_url(request))


@client_required
def client_delete(request, pk):
    _client_feature_on(request)
    method = get_object_or_404(
        SavedPaymentMethod.objects.select_related("account"), pk=pk, client=request.client_profile
    )
    return _edit_action(request, method, "delete", _account_url(request))
