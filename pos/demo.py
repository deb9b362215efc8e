"""Demo point of sale for `make run`: products with stock in each location (prod), a paired
simulated reader per location (rdr), and a day of sales (tender). Idempotent: each part seeds
only what is not there yet. Each helper's part is its own function."""

from __future__ import annotations

from django.conf import settings
from django_scopes import scope

from studio.models import Studio


def seed(*, studio: Studio, second_studio: Studio) -> None:
    sandbox = settings.STRIPE_TARGET == "sandbox"
    for target in (studio, second_studio):
        with scope(studio=target):
            _seed_products(target)  # prod
    with scope(studio=studio):
        if sandbox:
            _seed_readers(studio)  # rdr
            _seed_sales(studio)  # tender


# --- products and stock (prod) ---


def _seed_products(studio: Studio) -> None:
    pass


# --- readers (rdr) ---


def _seed_readers(studio: Studio) -> None:
    pass


# --- a day of sales (tender) ---


def _seed_sales(studio: Studio) -> None:
    pass
