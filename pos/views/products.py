"""Back-office pages for retail products and their stock (POS-4): the list, one form to create
and edit (with the count at each home location), archive/restore, the stock page (adjust a count,
the movement history) and the low-stock list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from pos.forms.products import (
    LowStockFilterForm,
    ProductFilterForm,
    ProductForm,
    StockAdjustForm,
    StockChange,
)
from pos.models import Product
from pos.selectors import products as selectors
from pos.services import stock as stock_services
from pos.services.products import product_archive as archive_product
from pos.services.products import product_save
from studio import selectors as studio_selectors
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.permissions import Perm
from studio.services import Actor

PAGE_SIZE = 100


@staff_required(Perm.MANAGE_PRODUCTS)
def product_list(request):
    form = ProductFilterForm(request.GET or None)
    query, archived = "", False
    if form.is_valid():
        query, archived = form.cleaned_data["q"] or "", form.cleaned_data["archived"]
    locations = list(studio_selectors.home_locations(studio=request.studio))
    products = selectors.product_list(
        studio=request.studio, query=query, archived=archived, locations=locations
    )
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for product in page.object_list:
        cells = selectors.product_stock_table(product=product, locations=locations)
        rows.append({"product": product, "cells": cells, "low": any(cell.low for cell in cells)})
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "query": query,
        "archived": archived,
        "page": page,
        "rows": rows,
        "locations": locations,
        "counts": selectors.product_counts(studio=request.studio),
        "params": params.urlencode(),
    }
    template = "pos/prod/_table.html" if request.htmx else "pos/prod/list.html"
    return render(request, template, context)


def _add_errors(form: ProductForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _product_form(request, product: Product | None):
    locations = list(studio_selectors.home_locations(studio=request.studio))
    counts = {}
    if product is not None:
        counts = {
            c.location.pk: c.quantity
            for c in selectors.product_stock_here(studio=request.studio, product=product)
        }
    instance = product or Product(studio=request.studio, currency=request.studio.currency)
    form = ProductForm(
        request.POST or None, instance=instance, studio=request.studio, locations=locations, counts=counts
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = product_save(
                studio=request.studio,
                actor=Actor.from_request(request),
                product=form.save(commit=False),
                stock=form.stock(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Product “%(name)s” saved.") % {"name": saved.name})
            return redirect("product-list", studio_slug=request.studio.slug)
    return render(request, "pos/prod/form.html", {"form": form, "product": product})


@staff_required(Perm.MANAGE_PRODUCTS)
def product_create(request):
    return _product_form(request, None)


@staff_required(Perm.MANAGE_PRODUCTS)
def product_edit(request, pk):
    return _product_form(request, get_object_or_404(Product, pk=pk))


@staff_required(Perm.MANAGE_PRODUCTS)
def product_archive(request, pk):
    """POST: archive (or, with restore=1, restore) after a confirmation page."""
    product = get_object_or_404(Product, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    archive = request.POST.get("restore") != "1"
    back = reverse("product-edit", kwargs={"studio_slug": request.studio.slug, "pk": product.pk})
    if not is_confirmed(request):
        if archive:
            lines = [
                _("“%(name)s” is no longer sold at the point of sale.") % {"name": product.name},
                _("Its stock and its history are kept; you can restore it later."),
            ]
            title, label = _("Archive this product?"), _("Archive the product")
        else:
            lines = [_("“%(name)s” is sold at the point of sale again.") % {"name": product.name}]
            title, label = _("Restore this product?"), _("Restore the product")
        return confirm_page(
            request,
            base="manage_base.html",
            title=title,
            lines=lines,
            confirm_label=label,
            back_url=back,
            back_label=_("Go back"),
            danger=archive,
        )
    archive_product(
        studio=request.studio, actor=Actor.from_request(request), product=product, archived=archive
    )
    messages.success(request, _("Product archived.") if archive else _("Product restored."))
    list_url = reverse("product-list", kwargs={"studio_slug": request.studio.slug})
    return redirect(f"{list_url}?archived=on" if archive else list_url)


@staff_required(Perm.MANAGE_PRODUCTS)
def product_stock(request, pk):
    """The product's count per location, a form to change one, and the latest movements."""
    product = get_object_or_404(Product, pk=pk)
    locations = studio_selectors.home_locations(studio=request.studio)
    form = StockAdjustForm(request.POST or None, locations=locations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actor = Actor.from_request(request)
        try:
            if data["change"] == StockChange.COUNTED:
                stock_services.stock_count(
                    studio=request.studio,
                    actor=actor,
                    product=product,
                    location=data["location"],
                    count=data["quantity"],
                    note=data["note"],
                )
            else:
                sign = -1 if data["change"] == StockChange.REMOVED else 1
                stock_services.stock_adjust(
                    studio=request.studio,
                    actor=actor,
                    product=product,
                    location=data["location"],
                    quantity=sign * data["quantity"],
                    reason=StockAdjustForm.reason_for(data["change"]),
                    note=data["note"],
                )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Stock of “%(name)s” updated.") % {"name": product.name})
            return redirect("product-stock", studio_slug=request.studio.slug, pk=product.pk)
    return render(
        request,
        "pos/prod/stock.html",
        {
            "product": product,
            "form": form,
            "cells": selectors.product_stock_here(studio=request.studio, product=product),
            "movements": selectors.product_movements(studio=request.studio, product=product),
        },
    )


@staff_required(Perm.MANAGE_PRODUCTS)
def product_low_stock(request):
    """Products at or under their alert threshold, per home location (or at one of them)."""
    locations = studio_selectors.home_locations(studio=request.studio)
    form = LowStockFilterForm(request.GET or None, locations=locations)
    location = form.cleaned_data.get("location") if form.is_valid() else None
    rows = selectors.low_stock_products(studio=request.studio, location=location)
    return render(request, "pos/prod/low_stock.html", {"form": form, "rows": rows, "location": location})
