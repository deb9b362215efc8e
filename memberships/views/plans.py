"""Plans pages (MEM-1). Placeholder list until the plans pages land."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from studio.access import staff_required
from studio.permissions import Perm


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def plan_list(request: HttpRequest) -> HttpResponse:
    return render(request, "memberships/plan_list.html", {"plans": []})
