"""The renewals page for staff (MEM-3): due today, upcoming, failing and retrying, past due; "Retry now";
the night's run's progress, polled by htmx while renewals are waiting for the worker."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memberships.models import RenewalStatus
from memberships.selectors.renewals import (
    ROWS_MAX,
    TABS,
    UPCOMING_WINDOWS,
    renewal_failure_reason,
    renewal_for_retry,
    renewal_needs_retry,
    renewal_version,
    renewals_page,
    renewals_progress,
    studio_today,
)
from memberships.services.renewals import renewal_retry_now
from studio.access import staff_required
from studio.inputs import parse_int_param
from studio.permissions import Perm
from studio.services import Actor


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def renewal_list(request: HttpRequest) -> HttpResponse:
    if request.htmx and request.GET.get("part") == "progress":
        # The poll reads only the counts, not the tab's rows.
        today = studio_today(studio=request.studio)
        progress = renewals_progress(studio=request.studio, today=today)
        return render(request, "memberships/renewals/_progress.html", {"page": {"progress": progress}})
    tab = request.GET.get("tab", "today")
    page = renewals_page(
        studio=request.studio,
        tab=tab if tab in TABS else "today",
        window_days=parse_int_param(request.GET.get("days"), 7) or 7,
    )
    context = {
        "page": page,
        "memberships_tab": "renewals",
        "windows": UPCOMING_WINDOWS,
        "rows_max": ROWS_MAX,
    }
    return render(request, "memberships/renewals/list.html", context)


@staff_required(Perm.MANAGE_MEMBERSHIPS)
@require_POST
def renewal_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Charge a failing renewal again now. The form carries the version of the renewal the page
    showed: a second click (or a stale page) after the renewal moved on is told so and queues nothing."""
    renewal = renewal_for_retry(studio=request.studio, pk=pk)
    if renewal is None:
        raise Http404
    back = redirect(_back_url(request))
    if not renewal_needs_retry(renewal) or request.POST.get("seen") != renewal_version(renewal):
        # A double click, or a page left open while the worker moved on: nothing is charged twice.
        messages.info(request, _("This renewal was already tried again; here is where it stands."))
        return back
    try:
        renewal_retry_now(studio=request.studio, actor=Actor.from_request(request), renewal=renewal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return back
    renewal.refresh_from_db()
    name = renewal.membership.client.full_name
    if renewal.status == RenewalStatus.SUCCEEDED:
        messages.success(request, _("%(name)s's membership is renewed.") % {"name": name})
    elif renewal.status == RenewalStatus.FAILED or (
        renewal.status == RenewalStatus.RETRYING
        and renewal.next_attempt_at
        and renewal.next_attempt_at > timezone.now()
    ):
        messages.error(
            request,
            _("%(name)s's renewal failed again: %(reason)s")
            % {"name": name, "reason": renewal_failure_reason(renewal.failure_code)},
        )
    else:
        messages.info(
            request, _("%(name)s's renewal is being charged; this page shows the result.") % {"name": name}
        )
    return back


def _back_url(request: HttpRequest) -> str:
    from django.urls import reverse

    url = reverse("renewal-list", kwargs={"studio_slug": request.studio.slug})
    tab = request.POST.get("tab")
    return f"{url}?tab={tab}" if tab in TABS else f"{url}?tab=failing"
