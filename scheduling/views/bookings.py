"""Back office: booking clients into a session, cancelling, and taking attendance."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from scheduling import services
from scheduling.forms import StaffBookingForm
from scheduling.models import BookedBy, Booking, BookingStatus, ClassSession
from scheduling.views.common import error_text, safe_next
from studio import selectors as studio_selectors
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor

SEARCH_LIMIT = 8


def _roster_url(request, session_id: int) -> str:
    return reverse("class-session-detail", kwargs={"studio_slug": request.studio.slug, "pk": session_id})


@staff_required(Perm.CHECK_IN)
def client_search(request, pk):
    """Clients matching ?q=, each with a button that books them into the session (htmx partial)."""
    session = get_object_or_404(ClassSession, pk=pk)
    query = request.GET.get("q", "").strip()[:100]
    clients = list(studio_selectors.client_list(studio=request.studio, search=query)[:SEARCH_LIMIT]) if query else []
    return render(request, "scheduling/_client_search_results.html", {"session": session, "clients": clients,
                                                                       "q": query})


@staff_required(Perm.CHECK_IN)
def session_book(request, pk):
    session = get_object_or_404(ClassSession, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = StaffBookingForm(request.POST, studio=request.studio)
    if not form.is_valid():
        messages.error(request, _("Choose a client to book."))
    else:
        client = form.cleaned_data["client"]
        try:
            booking = services.booking_create(studio=request.studio, actor=Actor.from_request(request),
                                              session=session, client=client, booked_by=BookedBy.STAFF)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            if booking.status == BookingStatus.WAITLISTED:
                messages.warning(request, _("The class is full: %(name)s is on the waitlist.") % {
                    "name": client.full_name})
            else:
                messages.success(request, _("%(name)s is booked.") % {"name": client.full_name})
    return redirect(_roster_url(request, session.pk))


@staff_required(Perm.CHECK_IN)
def booking_cancel(request, pk):
    booking = get_object_or_404(Booking, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        cancelled = services.booking_cancel(studio=request.studio, actor=Actor.from_request(request),
                                            booking=booking, by_staff=True,
                                            waive_late_cancel=request.POST.get("waive") == "1")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if cancelled.status == BookingStatus.LATE_CANCELLED:
            messages.warning(request, _("Booking cancelled, recorded as a late cancel."))
        else:
            messages.success(request, _("Booking cancelled."))
    return redirect(safe_next(request, _roster_url(request, booking.session_id)))


@staff_required(Perm.CHECK_IN)
def booking_attendance(request, pk):
    """Check in, mark absent, or undo — from the roster (htmx swaps the row)."""
    booking = get_object_or_404(Booking.objects.select_related("client", "session"), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    error = None
    try:
        booking = services.booking_set_attendance(studio=request.studio, actor=Actor.from_request(request),
                                                  booking=booking, status=request.POST.get("status", ""))
    except ValidationError as exc:
        error = error_text(exc)
    if request.htmx:
        booking = Booking.objects.select_related("client", "session", "booked_by").get(pk=booking.pk)
        return render(request, "scheduling/_roster_row.html", {"b": booking, "session": booking.session,
                                                               "error": error})
    if error:
        messages.error(request, error)
    return redirect(_roster_url(request, booking.session_id))
