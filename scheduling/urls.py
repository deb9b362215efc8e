"""Scheduling URLs, included under /<studio_slug>/ by studio.urls_tenant."""

urlpatterns: list = []
