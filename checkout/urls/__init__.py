"""Every checkout URL under `/<studio_slug>/`: the public pages, the cart, paying, and the
client's orders. Each part keeps its own list (one module per part)."""

from checkout.urls import cart, orders, pay, public

urlpatterns = [*public.urlpatterns, *cart.urlpatterns, *pay.urlpatterns, *orders.urlpatterns]
