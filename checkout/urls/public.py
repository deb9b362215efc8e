"""Checkout URLs: public (see docs/checkout.md). The studio's home, its plans, its shop, the cart and paying."""

from django.urls import path

from checkout.urls import cart, pay
from checkout.views import public

# First of every studio URL (studio/urls_tenant.py), with the cart and paying: Django tries the
# patterns in order, and each one tried before the match costs every visitor's request.
urlpatterns = [
    path("", public.studio_home, name="studio-home"),
    path("plans/", public.plans, name="public-plans"),
    path("shop/", public.shop, name="public-shop"),
    *cart.urlpatterns,
    *pay.urlpatterns,
]
