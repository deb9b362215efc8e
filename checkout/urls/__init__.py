"""Every checkout URL under `/<studio_slug>/`: the public pages, the cart, paying, and the
client's orders. Each part keeps its own list (one module per part)."""

from checkout.urls import cart, orders, pay

# The public pages (`checkout.urls.public`) are included first of all by studio/urls_tenant.py.
urlpatterns = [*cart.urlpatterns, *pay.urlpatterns, *orders.urlpatterns]
