from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from studio import selectors, services
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.forms import LocationForm, RoomForm
from studio.models import Location, Room
from studio.permissions import Perm


@staff_required()
def location_list(request):
    show_archived = request.GET.get("archived") == "1"
    locations = selectors.location_list(studio=request.studio, include_archived=show_archived)
    return render(
        request, "studio/location_list.html", {"locations": locations, "show_archived": show_archived}
    )


@staff_required()
def location_detail(request, pk):
    location = get_object_or_404(Location, pk=pk)
    rooms = location.rooms.order_by("archived_at", "name")
    from studio.registries.location_facts import location_facts_for

    return render(
        request,
        "studio/location_detail.html",
        {"location": location, "rooms": rooms, "location_facts": location_facts_for(location=location)},
    )


def _location_form(request, location: Location | None):
    form = LocationForm(request.POST or None, instance=location, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        saved = services.location_save(
            studio=request.studio,
            actor=services.Actor.from_request(request),
            location=form.save(commit=False),
        )
        messages.success(request, _("Location “%(name)s” saved.") % {"name": saved.name})
        return redirect("location-detail", studio_slug=request.studio.slug, pk=saved.pk)
    return render(request, "studio/location_form.html", {"form": form, "location": location})


@staff_required(Perm.MANAGE_SETTINGS)
def location_create(request):
    return _location_form(request, None)


@staff_required(Perm.MANAGE_SETTINGS)
def location_edit(request, pk):
    return _location_form(request, get_object_or_404(Location, pk=pk))


@staff_required(Perm.MANAGE_SETTINGS)
def location_archive(request, pk):
    """Archiving asks first, stating what stops there; restoring is harmless and needs no step."""
    location = get_object_or_404(Location, pk=pk)
    archive = request.POST.get("restore") != "1"
    if archive and (request.method != "POST" or not is_confirmed(request)):
        if location.archived_at:
            return redirect("location-detail", studio_slug=request.studio.slug, pk=location.pk)
        return confirm_page(
            request,
            base="manage_base.html",
            danger=True,
            title=_("Archive “%(name)s”?") % {"name": location.name},
            lines=selectors.location_archive_consequences(studio=request.studio, location=location),
            confirm_label=_("Archive this location"),
            back_url=reverse(
                "location-detail", kwargs={"studio_slug": request.studio.slug, "pk": location.pk}
            ),
            back_label=_("Keep it"),
        )
    services.location_archive(
        studio=request.studio, actor=services.Actor.from_request(request), location=location, archived=archive
    )
    messages.success(request, _("Location archived.") if archive else _("Location restored."))
    return redirect("location-list", studio_slug=request.studio.slug)


def _room_form(request, location: Location, room: Room | None):
    form = RoomForm(request.POST or None, instance=room, location=location)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.location = location
        services.room_save(studio=request.studio, actor=services.Actor.from_request(request), room=saved)
        messages.success(request, _("Room “%(name)s” saved.") % {"name": saved.name})
        return redirect("location-detail", studio_slug=request.studio.slug, pk=location.pk)
    return render(request, "studio/room_form.html", {"form": form, "location": location, "room": room})


@staff_required(Perm.MANAGE_SETTINGS)
def room_create(request, pk):
    location = get_object_or_404(Location, pk=pk, archived_at__isnull=True)
    return _room_form(request, location, None)


@staff_required(Perm.MANAGE_SETTINGS)
def room_edit(request, pk):
    room = get_object_or_404(Room.objects.select_related("location"), pk=pk)
    return _room_form(request, room.location, room)


@staff_required(Perm.MANAGE_SETTINGS)
def room_archive(request, pk):
    room = get_object_or_404(Room, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    archive = request.POST.get("restore") != "1"
    services.room_archive(
        studio=request.studio, actor=services.Actor.from_request(request), room=room, archived=archive
    )
    messages.success(request, _("Room archived.") if archive else _("Room restored."))
    return redirect("location-detail", studio_slug=request.studio.slug, pk=room.location_id)
