"""Where the point of sale plugs into the platform's seams: one function per helper's part,
called from `ready()`. Each part registers its navigation entries, source kinds, webhook
handlers, beat entries, audit labels and profile panels in its own function."""

from __future__ import annotations


def register_all() -> None:
    _products()  # prod
    _cart()  # cart
    _screen()  # screen
    _tenders()  # tender
    _tills()  # till
    _readers()  # rdr


def _products() -> None:  # prod: navigation "Products", audit of products and stock
    pass


def _cart() -> None:  # cart: audit of discounts
    pass


def _screen() -> None:  # screen: navigation "Point of sale"
    pass


def _tenders() -> None:  # tender: source kind "pos_tender" and its outcome hook, beat sweeps
    pass


def _tills() -> None:  # till: audit of cash sessions and returns, the client-profile panel "Purchases"
    pass


def _readers() -> None:  # rdr: navigation "Card readers", audit of readers and POS settings
    pass
