"""Recent Stripe events of the studio, and the ones whose handling failed (PAY-5)."""

from django.shortcuts import render

from payments.services.webhooks import recent_events
from studio.access import staff_required
from studio.permissions import Perm


@staff_required(Perm.CONNECT_PAYMENTS)
def event_list(request):
    failures_only = request.GET.get("failures") == "1"
    events = recent_events(studio_id=request.studio.pk, failures_only=failures_only)
    return render(request, "payments/webhook_events.html", {"events": events, "failures_only": failures_only})
