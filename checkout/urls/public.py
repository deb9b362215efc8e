"""Checkout URLs: public (see docs/checkout.md). The studio's home, its plans and its shop."""

from django.urls import path

from checkout.views import public

urlpatterns = [
    path("", public.studio_home, name="studio-home"),
    path("plans/", public.plans, name="public-plans"),
    path("shop/", public.shop, name="public-shop"),
]
