"""Card reader pages (POS-2, POS-5): the list by location, pairing a new reader, rename, delete,
"check the status" (one reader asked at Stripe) and the troubleshooting page.

The list shows what was last heard from each reader and when: it never calls Stripe on load
(a studio with ten readers would wait for ten round trips). Asking Stripe is a button, per reader.
"""

from __future__ import annotations

import logging
from itertools import groupby

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from payments.models import CardReader
from payments.selectors import reader_get, readers_for_studio
from pos.forms.readers import ReaderCreateForm, ReaderRenameForm
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.permissions import Perm
from studio.services import Actor

logger = logging.getLogger(__name__)

# What the tablet and the reader must reach (Stripe's "Domains and IP addresses", Terminal part):
# the API, the readers' management and events services, and the clocks they set themselves by.
ALLOWED_DOMAINS = [
    "api.stripe.com",
    "api.emms.bbpos.com",
    "armada.stripe.com",
    "gator.stripe.com",
    "*.terminal-events.stripe.com",
    "*.stripe-terminal-local-reader.net",
    "pool.ntp.org",
    "time.android.com",
]
STRIPE_DOMAINS_URL = "https://docs.stripe.com/ips#stripe-terminal-domains"


def _terminal():
    # payments' Terminal services, looked up at call time (tests stand in for one of them).
    from payments.services import terminal

    return terminal


def _readers(studio) -> list[CardReader]:
    return readers_for_studio(studio=studio)


def _by_location(readers: list[CardReader]) -> list[tuple]:
    ordered = sorted(readers, key=lambda r: (r.location.name.lower(), r.location_id, r.label.lower(), r.pk))
    return [(location, list(rows)) for location, rows in groupby(ordered, key=lambda r: r.location)]


def _reader(request: HttpRequest, pk: int) -> CardReader:
    reader = reader_get(studio=request.studio, pk=pk)
    if reader is None:  # another studio's id, or a reader removed meanwhile
        raise Http404
    return reader


def _list_url(request: HttpRequest) -> str:
    return reverse("reader-list", kwargs={"studio_slug": request.studio.slug})


def _stripe_refused() -> str:
    return _(
        "Stripe did not accept the request, so nothing was changed. Try again in a moment; if it keeps "
        "failing, check the payment account of this location."
    )


def _sandbox() -> bool:
    return django_settings.STRIPE_TARGET == "sandbox"


@staff_required(Perm.MANAGE_CARD_READERS)
def reader_list(request: HttpRequest) -> HttpResponse:
    readers = _readers(request.studio)
    return render(
        request,
        "pos/rdr/list.html",
        {"groups": _by_location(readers), "count": len(readers)},
    )


def _locations_without_account(form: ReaderCreateForm, studio) -> list:
    """Home locations whose money has no account that can take payments yet (no reader there)."""
    from payments.services.terminal import reader_account_for

    return [
        location
        for location in form.fields["location"].queryset
        if reader_account_for(studio=studio, location=location) is None
    ]


@staff_required(Perm.MANAGE_CARD_READERS)
def reader_create(request: HttpRequest) -> HttpResponse:
    form = ReaderCreateForm(request.POST or None, studio=request.studio, sandbox=_sandbox())
    if request.method == "POST" and form.is_valid():
        try:
            reader = _terminal().reader_register(
                studio=request.studio,
                actor=Actor.from_request(request),
                location=form.cleaned_data["location"],
                label=form.cleaned_data["label"],
                registration_code=form.cleaned_data["registration_code"],
                request_token=form.cleaned_data["request_token"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except Exception:  # a Stripe answer payments did not word (pos cannot name gateway errors)
            logger.warning("reader not paired", exc_info=True)
            form.add_error(None, _stripe_refused())
        else:
            messages.success(
                request,
                _("Reader “%(name)s” paired at %(location)s.")
                % {"name": reader.label, "location": reader.location.name},
            )
            return redirect(_list_url(request))
    missing = _locations_without_account(form, request.studio)
    chosen = form.cleaned_data.get("location") if form.is_bound else None
    return render(
        request,
        "pos/rdr/create.html",
        {
            "form": form,
            "sandbox": _sandbox(),
            "missing_accounts": missing,
            "chosen_lacks_account": chosen is not None and chosen in missing,
        },
    )


@staff_required(Perm.MANAGE_CARD_READERS)
def reader_edit(request: HttpRequest, pk: int) -> HttpResponse:
    reader = _reader(request, pk)
    form = ReaderRenameForm(request.POST or None, initial={"label": reader.label})
    if request.method == "POST" and form.is_valid():
        try:
            reader = _terminal().reader_rename(
                studio=request.studio,
                actor=Actor.from_request(request),
                reader=reader,
                label=form.cleaned_data["label"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except Exception:  # a Stripe answer payments did not word (pos cannot name gateway errors)
            logger.warning("reader %s not renamed", reader.pk, exc_info=True)
            form.add_error(None, _stripe_refused())
        else:
            messages.success(request, _("Reader renamed “%(name)s”.") % {"name": reader.label})
            return redirect(_list_url(request))
    return render(request, "pos/rdr/edit.html", {"form": form, "reader": reader})


@staff_required(Perm.MANAGE_CARD_READERS)
def reader_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET or a first POST: the question; the confirmed POST removes the reader (at Stripe too)."""
    reader = _reader(request, pk)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "GET" or not is_confirmed(request):
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("Remove this card reader?"),
            lines=[
                _("“%(name)s” at %(location)s is removed from the studio and from its Stripe account.")
                % {"name": reader.label, "location": reader.location.name},
                _(
                    "To use this reader again, it will need pairing again: a new registration code "
                    "from the reader, typed on “New card reader”."
                ),
                _("Past payments taken on it stay in the ledger."),
            ],
            confirm_label=_("Remove the reader"),
            back_url=_list_url(request),
            back_label=_("Keep it"),
            danger=True,
        )
    try:
        _terminal().reader_delete(studio=request.studio, actor=Actor.from_request(request), reader=reader)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except Exception:  # a Stripe failure payments did not word: nothing was removed here
        logger.warning("reader %s not deleted", reader.pk, exc_info=True)
        messages.error(
            request, _("Stripe could not be reached: the reader was not removed. Try again in a minute.")
        )
    else:
        messages.success(request, _("Reader “%(name)s” removed.") % {"name": reader.label})
    return redirect(_list_url(request))


def _status_sentence(reader: CardReader, *, failed: bool) -> tuple[str, str]:
    """(level, sentence) for what a status check found."""
    if failed:
        return "error", _(
            "Stripe could not be reached to ask about “%(name)s”: check this tablet's connection, then try again."
        ) % {"name": reader.label}
    if reader.status == CardReader.Status.ONLINE:
        return "success", _("“%(name)s” is online: Stripe can reach it and it is ready to take payments.") % {
            "name": reader.label
        }
    return "warning", _(
        "“%(name)s” is offline: Stripe cannot reach it. Check that it is on and connected to the Wi-Fi, "
        "then go through the checks on the troubleshooting page."
    ) % {"name": reader.label}


@staff_required(Perm.MANAGE_CARD_READERS)
def reader_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: ask Stripe for this reader's status now ("Check the status", "Test the connection")."""
    reader = _reader(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        reader = _terminal().reader_refresh(reader=reader)
    except ValidationError as exc:  # payments' own sentence: Stripe not reached, reader unknown there
        level, sentence = "error", " ".join(exc.messages)
    except Exception:  # pos cannot name payments' gateway errors; any other failure reads "not reached"
        logger.warning("reader %s status not refreshed", reader.pk, exc_info=True)
        level, sentence = _status_sentence(reader, failed=True)
    else:
        level, sentence = _status_sentence(reader, failed=False)
    back = request.POST.get("back")
    if request.htmx:
        return render(
            request,
            "pos/rdr/_reader_status.html",
            {"reader": reader, "found": sentence, "level": level, "back": back},
        )
    getattr(messages, level)(request, sentence)
    if back == "help":
        return redirect(
            reverse("reader-help", kwargs={"studio_slug": request.studio.slug}) + f"#reader-{reader.pk}"
        )
    return redirect(_list_url(request))


@staff_required(Perm.MANAGE_CARD_READERS)
def reader_help(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pos/rdr/help.html",
        {
            "groups": _by_location(_readers(request.studio)),
            "domains": ALLOWED_DOMAINS,
            "domains_url": STRIPE_DOMAINS_URL,
            "sandbox": _sandbox(),
        },
    )
