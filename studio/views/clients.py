from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from studio import selectors, services
from studio.access import staff_required
from studio.compiled_sql import compiled_rows
from studio.forms import ClientForm, FamilyLinkForm
from studio.inputs import parse_int_param
from studio.models import Client, FamilyLink
from studio.permissions import Perm
from studio.registries.home_change import home_change_warnings
from studio.registries.profile_panels import (
    choice_labels,
    profile_client,
    profile_panels_for,
    profile_sections,
    row_url,
)

PAGE_SIZE = 25


@staff_required(Perm.VIEW_CLIENTS)
def client_list(request):
    search = request.GET.get("q", "").strip()[:100]
    location_id = parse_int_param(request.GET.get("location"))
    clients = selectors.client_list(studio=request.studio, search=search, location_id=location_id)
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": search,
        "location_id": location_id,
        "locations": selectors.home_locations(studio=request.studio),
    }
    template = "studio/_client_table.html" if request.htmx else "studio/client_list.html"
    return render(request, template, context)


@staff_required(Perm.VIEW_CLIENTS)
def client_detail(request, pk):
    """The profile: the studio's own cards, then every app's panel this staff member may see.

    The panels' single values ride on the query that reads the client (see
    studio/registries/profile_panels.py); the family links of both directions are one query. Both,
    like the panels' lists, run from SQL the ORM compiled once per process (`compiled_rows`)."""
    panels = profile_panels_for(staff=request.staff)
    client = profile_client(pk=pk, panels=panels)
    if client is None:
        raise Http404
    client.studio = request.studio  # the scope's studio: panels read its zone and currency without a join
    guardians, dependants = _family_rows(client, slug=request.studio.slug)
    return render(
        request,
        "studio/client_detail.html",
        {
            "client": client,
            "guardians": guardians,
            "dependants": dependants,
            # The perms check the shell makes, asked once for the edit link and each family row.
            "can_manage": Perm.MANAGE_CLIENTS in request.staff.role.effective_permissions,
            "profile_sections": profile_sections(request=request, client=client, panels=panels),
        },
    )


def _family_links(*, studio_id: int, client_id: int):
    """The family card's links of both directions (compiled once: `compiled_rows`)."""
    return (
        FamilyLink.objects.filter(Q(dependant_id=client_id) | Q(guardian_id=client_id))
        .order_by("created_at", "id")
        .values_list(
            "id",
            "guardian_id",
            "relationship",
            "guardian__first_name",
            "guardian__last_name",
            "dependant_id",
            "dependant__first_name",
            "dependant__last_name",
        )
    )


def _family_rows(client: Client, *, slug: str) -> tuple[list[dict], list[dict]]:
    """The client's guardians and dependants for the family card, both directions in one query,
    read as the few values the card shows (a link, a name, a relationship), not two Client rows each."""
    relationships = choice_labels(FamilyLink.Relationship.choices)
    open_url = row_url("client-detail", studio_slug=slug)
    remove_url = row_url("client-family-remove", key="link_pk", studio_slug=slug, pk=client.pk)
    guardians, dependants = [], []
    for pk, guardian_id, relationship, *names in compiled_rows(
        "profile-family", _family_links, client_id=client.pk
    ):
        mine = guardian_id == client.pk  # the client is the guardian: the other end is a dependant
        other_id, first, last = names[2:] if mine else (guardian_id, *names[:2])
        (dependants if mine else guardians).append(
            {
                "name": f"{first} {last}".strip(),  # as Client.full_name
                "relationship": relationships.get(relationship, relationship),
                "open_url": open_url(other_id),
                "remove_url": remove_url(pk),
            }
        )
    return guardians, dependants


def _home_change_warnings(request, client: Client | None, form) -> list[str]:
    """What changing the home location would break (e.g. saved cards on another account, SPM-4)."""
    if client is None or "home_location" not in form.changed_data:
        return []
    original = Client.objects.get(pk=client.pk)
    return home_change_warnings(client=original, new_location=form.cleaned_data.get("home_location"))


def _client_form(request, client: Client | None):
    form = ClientForm(request.POST or None, instance=client, studio=request.studio)
    warnings = []
    if request.method == "POST" and form.is_valid():
        warnings = _home_change_warnings(request, client, form)
        if warnings and request.POST.get("confirm_home_change") != "1":
            return render(
                request,
                "studio/client_form.html",
                {"form": form, "client": client, "home_change_warnings": warnings},
            )
        try:
            saved = services.client_save(
                studio=request.studio,
                actor=services.Actor.from_request(request),
                client=form.save(commit=False),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Client “%(name)s” saved.") % {"name": saved.full_name})
            return redirect("client-detail", studio_slug=request.studio.slug, pk=saved.pk)
    return render(request, "studio/client_form.html", {"form": form, "client": client})


@staff_required(Perm.MANAGE_CLIENTS)
def client_create(request):
    return _client_form(request, None)


@staff_required(Perm.MANAGE_CLIENTS)
def client_edit(request, pk):
    return _client_form(request, get_object_or_404(Client, pk=pk))


@staff_required(Perm.MANAGE_CLIENTS)
def family_add(request, pk):
    """GET: the "add a dependant" form (under htmx, only the form, shown in the profile's family card).

    The form lists every client of the studio: it is loaded when asked for, not with each profile."""
    guardian = get_object_or_404(Client, pk=pk)
    if request.method != "POST":
        form = FamilyLinkForm(studio=request.studio, guardian=guardian)
        template = "studio/_family_form.html" if request.htmx else "studio/family_add.html"
        return render(request, template, {"client": guardian, "family_form": form})
    form = FamilyLinkForm(request.POST, studio=request.studio, guardian=guardian)
    if form.is_valid():
        try:
            services.family_link_add(
                studio=request.studio,
                actor=services.Actor.from_request(request),
                guardian=guardian,
                dependant=form.cleaned_data["dependant"],
                relationship=form.cleaned_data["relationship"],
            )
            messages.success(request, _("Family link added."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a dependant from the list."))
    return redirect("client-detail", studio_slug=request.studio.slug, pk=guardian.pk)


@staff_required(Perm.MANAGE_CLIENTS)
def family_remove(request, pk, link_pk):
    link = get_object_or_404(FamilyLink.objects.select_related("guardian", "dependant"), pk=link_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if pk not in (link.guardian_id, link.dependant_id):
        return redirect("client-detail", studio_slug=request.studio.slug, pk=pk)
    services.family_link_remove(studio=request.studio, actor=services.Actor.from_request(request), link=link)
    messages.success(request, _("Family link removed."))
    return redirect("client-detail", studio_slug=request.studio.slug, pk=pk)
