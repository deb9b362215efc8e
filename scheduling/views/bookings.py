"""Back office: booking clients into a session, cancelling, and taking attendance."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling import selectors, services
from scheduling.forms import StaffBookingForm
from scheduling.models import BookedBy, Booking, BookingStatus, ClassSession, PaymentKind
from scheduling.timeutils import local_when_label
from scheduling.views.common import error_text, safe_next, text_param
from studio import selectors as studio_selectors
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.permissions import Perm
from studio.services import Actor

SEARCH_LIMIT = 8
# Booking a priced class for free is a decision about its price, which those who manage the
# schedule set (the class template's drop-in price); a teacher or the front desk, who book
# clients, sell a pack or take a drop-in payment instead.
COMP_PERMISSION = Perm.MANAGE_SCHEDULE


def _roster_url(request, session_id: int) -> str:
    return reverse("class-session-detail", kwargs={"studio_slug": request.studio.slug, "pk": session_id})


@staff_required(Perm.CHECK_IN)
def client_search(request, pk):
    """Clients matching ?q=, each with a button that books them into the session (htmx partial).

    When the class is full, staff who may overbook also get an "Overbook" button (confirmed on
    the next page); the others see that the client goes on the waitlist. Each client shows what
    would pay (their membership or pack) or why nothing does; staff who manage the schedule may
    book a priced class as complimentary instead.
    """
    session = _session_or_404(pk)
    query = text_param(request.GET.get("q"))
    clients = (
        list(studio_selectors.client_list(studio=request.studio, search=query)[:SEARCH_LIMIT])
        if query
        else []
    )
    for client in clients:  # at most SEARCH_LIMIT, and no query at all for a free class
        decision = services.booking_payment_preview(
            studio=request.studio, session=session, client=client, booked_by=BookedBy.STAFF
        )
        client.pays_with = decision.label if isinstance(decision, services.BookingPayment) else ""
        client.payment_refusal = decision if isinstance(decision, str) else ""
    return render(
        request,
        "scheduling/_client_search_results.html",
        {
            "session": session,
            "clients": clients,
            "q": query,
            "full": session.booked_count >= session.capacity,
            "can_overbook": request.staff.has_perm(Perm.OVERBOOK_CLASSES),
            "can_comp": session.template.drop_in_price > 0 and request.staff.has_perm(COMP_PERMISSION),
            "waitlist_open": session.starts_at > timezone.now(),
        },
    )


def _session_or_404(pk: int) -> ClassSession:
    try:
        return selectors.session_detail(session_id=pk)
    except ClassSession.DoesNotExist as exc:
        raise Http404 from exc


def _session_label(session: ClassSession) -> str:
    return f"{session.template.name}, {local_when_label(session.starts_at, session.time_zone)}"


@staff_required(Perm.CHECK_IN)
def session_book(request, pk):
    session = _session_or_404(pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = StaffBookingForm(request.POST, studio=request.studio)
    if not form.is_valid():
        messages.error(request, _("Choose a client to book."))
        return redirect(_roster_url(request, session.pk))
    client = form.cleaned_data["client"]
    overbook = request.POST.get("overbook") == "1"
    if overbook and not request.staff.has_perm(Perm.OVERBOOK_CLASSES):
        raise PermissionDenied(Perm.OVERBOOK_CLASSES)
    complimentary = request.POST.get("complimentary") == "1"
    if complimentary and not request.staff.has_perm(COMP_PERMISSION):
        raise PermissionDenied(COMP_PERMISSION)
    if overbook and not is_confirmed(request):
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("Overbook this class?"),
            lines=[
                _session_label(session),
                _(
                    "The class is full (%(booked)s of %(capacity)s). %(name)s will be booked anyway, one more "
                    "than the class holds."
                )
                % {"booked": session.booked_count, "capacity": session.capacity, "name": client.full_name},
            ],
            confirm_label=_("Overbook %(name)s") % {"name": client.full_name},
            back_url=_roster_url(request, session.pk),
            back_label=_("Back to the roster"),
        )
    try:
        booking = services.booking_create(
            studio=request.studio,
            actor=Actor.from_request(request),
            session=session,
            client=client,
            booked_by=BookedBy.STAFF,
            overbook=overbook,
            payment_kind=PaymentKind.COMPLIMENTARY if complimentary else None,
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if booking.status == BookingStatus.WAITLISTED:
            messages.warning(
                request, _("The class is full: %(name)s is on the waitlist.") % {"name": client.full_name}
            )
        elif booking.payment_kind in (PaymentKind.MEMBERSHIP, PaymentKind.CLASS_PACK):
            messages.success(
                request,
                _("%(name)s is booked, paid with their %(paid)s.")
                % {"name": client.full_name, "paid": booking.get_payment_kind_display().lower()},
            )
        else:
            messages.success(request, _("%(name)s is booked.") % {"name": client.full_name})
    return redirect(_roster_url(request, session.pk))


@staff_required(Perm.CHECK_IN)
def booking_cancel(request, pk):
    """Cancel a booking (or take someone off the waitlist), after a confirmation page."""
    booking = get_object_or_404(
        Booking.objects.select_related("client", "session__template", "session__location", "session__studio"),
        pk=pk,
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back = safe_next(request, _roster_url(request, booking.session_id))
    if not is_confirmed(request):
        waitlisted = booking.status == BookingStatus.WAITLISTED
        lines = [_session_label(booking.session)]
        if waitlisted:
            lines.append(
                _("%(name)s leaves the waitlist and is emailed.") % {"name": booking.client.full_name}
            )
        else:
            lines.append(
                _(
                    "%(name)s loses their place and is emailed; the first person on the waitlist, if any, "
                    "gets it."
                )
                % {"name": booking.client.full_name}
            )
            if request.POST.get("waive") == "1":
                lines.append(_("It is not recorded as a late cancel."))
        # What the client gets back (the cancellation policy's say), before anyone confirms.
        lines.extend(
            services.cancel_outcomes_describe(
                booking=booking, now=timezone.now(), by="staff", waive_late=request.POST.get("waive") == "1"
            )
        )
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("Remove from the waitlist?") if waitlisted else _("Cancel this booking?"),
            lines=lines,
            danger=True,
            back_url=back,
            back_label=_("Keep it"),
            confirm_label=_("Remove from the waitlist") if waitlisted else _("Cancel the booking"),
        )
    try:
        cancelled = services.booking_cancel(
            studio=request.studio,
            actor=Actor.from_request(request),
            booking=booking,
            by_staff=True,
            waive_late_cancel=request.POST.get("waive") == "1",
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if cancelled.status == BookingStatus.LATE_CANCELLED:
            messages.warning(request, _("Booking cancelled, recorded as a late cancel."))
        else:
            messages.success(request, _("Booking cancelled."))
    return redirect(back)


@staff_required(Perm.CHECK_IN)
def booking_attendance(request, pk):
    """Check in, mark absent, or correct either — from the roster (htmx swaps the row)."""
    booking = get_object_or_404(Booking.objects.select_related("client", "session"), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    error = None
    try:
        booking = services.booking_set_attendance(
            studio=request.studio,
            actor=Actor.from_request(request),
            booking=booking,
            status=request.POST.get("status", "")[:20],
        )
    except ValidationError as exc:
        error = error_text(exc)
    if request.htmx:
        booking = Booking.objects.select_related("client", "session", "booked_by").get(pk=booking.pk)
        now = timezone.now()
        return render(
            request,
            "scheduling/_roster_row.html",
            {
                "b": booking,
                "session": booking.session,
                "error": error,
                "now": now,
                "started": booking.session.starts_at <= now,
                "ended": booking.session.ends_at <= now,
                "check_in_open": now >= booking.session.check_in_opens_at,
            },
        )
    if error:
        messages.error(request, error)
    return redirect(_roster_url(request, booking.session_id))
