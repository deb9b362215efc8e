"""Every checkout URL under `/<studio_slug>/`: the public pages, the cart, paying, and the
client's orders. Each part keeps its own list (one module per part)."""

from checkout.urls import orders

# The public pages, the cart and paying (`checkout.urls.public`) are included first of all by
# studio/urls_tenant.py: a visitor's pages are the most asked for.
urlpatterns = [*orders.urlpatterns]
