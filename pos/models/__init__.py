"""The point of sale: products and stock, cash sessions, sales with their lines and tenders."""

from .products import Product, ProductStock, StockMovement
from .sales import DiscountKind, LineKind, Sale, SaleLine, SaleStatus, SaleTender, TenderKind, TenderStatus
from .settings import PosSettings
from .tills import CashSession

__all__ = [
    "CashSession",
    "DiscountKind",
    "LineKind",
    "PosSettings",
    "Product",
    "ProductStock",
    "Sale",
    "SaleLine",
    "SaleStatus",
    "SaleTender",
    "StockMovement",
    "TenderKind",
    "TenderStatus",
]
