from django.urls import path  # noqa: F401

# Each helper's patterns in its own section (issue 14). The POS screen and its fragments under
# pos/, the back-office pages (products, readers, POS settings, reports) under manage/pos/.
urlpatterns: list = []

# --- products and stock (prod) ---

# --- cart (cart): no pages of its own; the screen's views call pos.services.cart ---

# --- the POS screen (screen) ---

# --- tenders and the sale's life cycle (tender) ---

# --- tills, receipts, returns (till) ---

# --- card readers, POS settings, troubleshooting (rdr) ---
