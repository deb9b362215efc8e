"""The self check-in kiosk: a tablet at the front desk, opened by staff for one location (SCH-5).

Opening the kiosk signs the staff member out of the tablet and leaves only a kiosk cookie,
valid for /<studio>/kiosk/ and nothing else: the pages show today's classes at that location
and first names with a last initial, have no link out, and closing the kiosk needs a staff
member's email and password again.

The kiosk keeps the language it was opened in (a second cookie, scoped like the first, because
no one is signed in on the tablet to carry a saved language) and offers a switch for the client
standing in front of it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from scheduling import selectors, services
from scheduling.forms import KioskExitForm, KioskOpenForm
from scheduling.models import Booking, ClassSession, KioskSession
from scheduling.models.kiosk import token_digest
from scheduling.timeutils import local_today
from scheduling.views.common import error_text
from studio import selectors as studio_selectors
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor

COOKIE = "atelier_kiosk"
COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE = "atelier_kiosk_language"


def _kiosk_path(request) -> str:
    return reverse("kiosk", kwargs={"studio_slug": request.studio.slug})


def current_kiosk(request) -> KioskSession | None:
    token = request.COOKIES.get(COOKIE)
    if not token:
        return None
    return (
        KioskSession.objects.select_related("location", "studio")
        .filter(token_digest=token_digest(token), closed_at__isnull=True)
        .first()
    )


def _kiosk_language(request) -> None:
    """Speak the kiosk's own language (chosen when it was opened, or on its switch)."""
    language = request.COOKIES.get(LANGUAGE_COOKIE, "")
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language


def _remember_language(request, response, language: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=COOKIE_AGE,
        path=_kiosk_path(request),
        httponly=True,
        samesite="Strict",
        secure=request.is_secure(),
    )


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def home(request):
    """Today's classes at the kiosk's location; or, for staff, the form that opens a kiosk."""
    kiosk = current_kiosk(request)
    if kiosk is None:
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if request.staff is None or not request.staff.has_perm(Perm.CHECK_IN):
            raise PermissionDenied(Perm.CHECK_IN)
        return render(request, "scheduling/kiosk/open.html", {"form": KioskOpenForm(studio=request.studio)})
    _kiosk_language(request)
    today = local_today(kiosk.location.time_zone)
    sessions = selectors.kiosk_sessions(location=kiosk.location, day=today)
    return _no_store(
        render(
            request,
            "scheduling/kiosk/home.html",
            {"kiosk": kiosk, "sessions": sessions, "today": today, "now": timezone.now()},
        )
    )


@staff_required(Perm.CHECK_IN)
def open_kiosk(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = KioskOpenForm(request.POST, studio=request.studio)
    if not form.is_valid():
        return render(request, "scheduling/kiosk/open.html", {"form": form})
    _kiosk, token = services.kiosk_open(
        studio=request.studio, actor=Actor.from_request(request), location=form.cleaned_data["location"]
    )
    # The tablet keeps no staff session: only the kiosk's own cookie.
    logout(request)
    response = redirect(_kiosk_path(request))
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_AGE,
        path=_kiosk_path(request),
        httponly=True,
        samesite="Strict",
        secure=request.is_secure(),
    )
    # The staff member's language, active on this request, stays the kiosk's once they are gone.
    _remember_language(request, response, translation.get_language()[:2])
    return response


def kiosk_language(request):
    """The kiosk's language switch: remembered on the tablet, back to the page it was used on."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if current_kiosk(request) is None:
        return redirect(_kiosk_path(request))
    language = request.POST.get("language", "")
    target = request.POST.get("next", "")
    if not (
        url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and target.startswith(_kiosk_path(request))
        and "\x00" not in target
    ):
        target = _kiosk_path(request)
    response = redirect(target)
    if language in dict(settings.LANGUAGES):
        _remember_language(request, response, language)
    return response


def session(request, pk):
    """A class's booked clients, first name and last initial only, each with a check-in button."""
    session = get_object_or_404(
        ClassSession.objects.select_related("template", "teacher__user", "location", "room"), pk=pk
    )
    kiosk = current_kiosk(request)
    if kiosk is None:
        return redirect(_kiosk_path(request))
    _kiosk_language(request)
    if session.location_id != kiosk.location_id or session.local_start.date() != local_today(
        kiosk.location.time_zone
    ):
        return redirect(_kiosk_path(request))
    return _no_store(
        render(
            request,
            "scheduling/kiosk/session.html",
            {
                "kiosk": kiosk,
                "session": session,
                "bookings": selectors.kiosk_roster(session=session),
            },
        )
    )


def check_in(request, pk):
    booking = get_object_or_404(Booking.objects.select_related("client", "session"), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    kiosk = current_kiosk(request)
    if kiosk is None:
        return redirect(_kiosk_path(request))
    _kiosk_language(request)
    error = None
    try:
        booking = services.kiosk_check_in(studio=request.studio, kiosk=kiosk, booking=booking)
    except ValidationError as exc:
        error = error_text(exc)
    if request.htmx:
        return _no_store(
            render(
                request,
                "scheduling/kiosk/_person.html",
                {"b": booking, "error": error, "just_checked_in": error is None},
            )
        )
    if error:
        messages.error(request, error)
    return redirect("kiosk-session", studio_slug=request.studio.slug, pk=booking.session_id)


def exit_kiosk(request):
    """Close the kiosk: a staff member of this studio who may check clients in signs in again."""
    kiosk = current_kiosk(request)
    if kiosk is None:
        return redirect(_kiosk_path(request))
    _kiosk_language(request)
    form = KioskExitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        staff = studio_selectors.staff_member_for(studio=request.studio, user=user) if user else None
        if staff is None or not staff.has_perm(Perm.CHECK_IN):
            form.add_error(None, _("These are not the details of a staff member who can close the kiosk."))
        else:
            services.kiosk_close(
                studio=request.studio,
                actor=Actor(user=user, ip_address=request.META.get("REMOTE_ADDR")),
                kiosk=kiosk,
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            response = redirect("dashboard", studio_slug=request.studio.slug)
            response.delete_cookie(COOKIE, path=_kiosk_path(request))
            response.delete_cookie(LANGUAGE_COOKIE, path=_kiosk_path(request))
            return response
    return _no_store(render(request, "scheduling/kiosk/exit.html", {"kiosk": kiosk, "form": form}))
