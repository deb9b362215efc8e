from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from studio import selectors, services
from studio.access import staff_required
from studio.forms import ClientForm, FamilyLinkForm
from studio.models import Client, FamilyLink
from studio.permissions import Perm

PAGE_SIZE = 25


@staff_required(Perm.VIEW_CLIENTS)
def client_list(request):
    search = request.GET.get("q", "").strip()[:100]
    location_id = request.GET.get("location")
    location_id = int(location_id) if location_id and location_id.isdigit() else None
    clients = selectors.client_list(studio=request.studio, search=search, location_id=location_id)
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": search, "location_id": location_id,
               "locations": selectors.home_locations(studio=request.studio)}
    template = "studio/_client_table.html" if request.htmx else "studio/client_list.html"
    return render(request, template, context)


@staff_required(Perm.VIEW_CLIENTS)
def client_detail(request, pk):
    client = get_object_or_404(Client.objects.select_related("home_location", "user"), pk=pk)
    guardians = FamilyLink.objects.filter(dependant=client).select_related("guardian")
    dependants = FamilyLink.objects.filter(guardian=client).select_related("dependant")
    family_form = FamilyLinkForm(studio=request.studio, guardian=client)
    return render(request, "studio/client_detail.html", {
        "client": client, "guardians": guardians, "dependants": dependants, "family_form": family_form,
        "profile_sections": client_profile_sections(request, client),
    })


def client_profile_sections(request, client):
    """Later apps (payments, memberships, bookings, waivers) hang their panels here."""
    from studio.profile_sections import sections_for

    return sections_for(request=request, client=client)


def _home_change_warnings(request, client: Client | None, form) -> list[str]:
    """What changing the home location would break (e.g. saved cards on another account, SPM-4)."""
    from studio.profile_sections import home_change_warnings

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
            return render(request, "studio/client_form.html", {"form": form, "client": client,
                                                               "home_change_warnings": warnings})
        try:
            saved = services.client_save(studio=request.studio, actor=services.Actor.from_request(request),
                                         client=form.save(commit=False))
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
    guardian = get_object_or_404(Client, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = FamilyLinkForm(request.POST, studio=request.studio, guardian=guardian)
    if form.is_valid():
        try:
            services.family_link_add(studio=request.studio, actor=services.Actor.from_request(request),
                                     guardian=guardian, dependant=form.cleaned_data["dependant"],
                                     relationship=form.cleaned_data["relationship"])
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
