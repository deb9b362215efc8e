"""The studio's public hosted pages (the schedule, shop and checkout hang off this home)."""

from django.shortcuts import render

from studio import selectors


def studio_home(request):
    locations = selectors.location_list(studio=request.studio)
    return render(request, "studio/public/home.html", {"locations": locations})
