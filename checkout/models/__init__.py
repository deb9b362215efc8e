from checkout.models.orders import (
    CardForm,
    CheckoutSettings,
    Order,
    OrderLine,
    OrderLineKind,
    OrderStatus,
)

__all__ = ["CardForm", "CheckoutSettings", "Order", "OrderLine", "OrderLineKind", "OrderStatus"]
