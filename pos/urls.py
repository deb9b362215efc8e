from django.urls import path

# Each helper's patterns in its own section (issue 14). The POS screen and its fragments under
# pos/, the back-office pages (products, readers, POS settings, reports) under manage/pos/.
urlpatterns: list = []

# --- products and stock (prod) ---
from pos.views import products as product_views  # noqa: E402

urlpatterns += [
    path("manage/pos/products/", product_views.product_list, name="product-list"),
    path("manage/pos/products/new/", product_views.product_create, name="product-create"),
    path("manage/pos/products/low-stock/", product_views.product_low_stock, name="product-low-stock"),
    path("manage/pos/products/<int:pk>/", product_views.product_edit, name="product-edit"),
    path("manage/pos/products/<int:pk>/archive/", product_views.product_archive, name="product-archive"),
    path("manage/pos/products/<int:pk>/stock/", product_views.product_stock, name="product-stock"),
]

# --- cart (cart): no pages of its own; the screen's views call pos.services.cart ---

# --- the POS screen (screen) ---
from pos.views import screen as screen_views  # noqa: E402

urlpatterns += [
    path("pos/", screen_views.pos_home, name="pos-home"),
    path("pos/location/", screen_views.pos_location, name="pos-location"),
    path("pos/sales/new/", screen_views.pos_sale_new, name="pos-sale-new"),
    path("pos/sales/<int:pk>/", screen_views.pos_sale, name="pos-sale"),
    path("pos/sales/<int:pk>/add/", screen_views.pos_cart_add, name="pos-cart-add"),
    path("pos/sales/<int:pk>/lines/<int:line_pk>/", screen_views.pos_cart_line, name="pos-cart-line"),
    path("pos/sales/<int:pk>/discount/", screen_views.pos_cart_discount, name="pos-cart-discount"),
    path("pos/sales/<int:pk>/client/", screen_views.pos_cart_client, name="pos-cart-client"),
    path("pos/clients/search/", screen_views.pos_client_search, name="pos-client-search"),
    path("pos/clients/new/", screen_views.pos_client_create, name="pos-client-create"),
]

# --- tenders and the sale's life cycle (tender) ---
from pos.views import tender as tender_views  # noqa: E402

urlpatterns += [
    path("pos/sales/<int:pk>/tender/", tender_views.pos_tender, name="pos-tender"),
    path("pos/sales/<int:pk>/void/", tender_views.pos_sale_void, name="pos-sale-void"),
    path("pos/tenders/<int:pk>/status/", tender_views.pos_tender_status, name="pos-tender-status"),
    path("pos/tenders/<int:pk>/cancel/", tender_views.pos_tender_cancel, name="pos-tender-cancel"),
    path("pos/tenders/<int:pk>/card/", tender_views.pos_tender_card, name="pos-tender-card"),
]

# --- tills, receipts, returns (till) ---
from pos.views import receipts as till_receipts  # noqa: E402
from pos.views import returns as till_returns  # noqa: E402
from pos.views import tills as till_views  # noqa: E402

urlpatterns += [
    path("pos/sales/", till_receipts.sale_list, name="pos-sales"),
    path("pos/sales/<int:pk>/receipt/", till_receipts.sale_receipt, name="pos-sale-receipt"),
    path("pos/sales/<int:pk>/receipt/pdf/", till_receipts.sale_receipt_pdf, name="pos-sale-receipt-pdf"),
    path(
        "pos/sales/<int:pk>/receipt/email/", till_receipts.sale_receipt_email, name="pos-sale-receipt-email"
    ),
    path("pos/sales/<int:pk>/return/", till_returns.sale_return, name="pos-sale-return"),
    path("pos/till/open/", till_views.till_open, name="pos-till-open"),
    path("pos/till/<int:pk>/close/", till_views.till_close, name="pos-till-close"),
    path("pos/till/<int:pk>/report/", till_views.till_report, name="pos-till-report"),
    path("pos/till/<int:pk>/report/pdf/", till_views.till_report_pdf, name="pos-till-report-pdf"),
]

# --- card readers, POS settings, troubleshooting (rdr) ---
from pos.views import readers as rdr_readers  # noqa: E402
from pos.views import settings as rdr_settings  # noqa: E402

urlpatterns += [
    path("manage/pos/readers/", rdr_readers.reader_list, name="reader-list"),
    path("manage/pos/readers/new/", rdr_readers.reader_create, name="reader-create"),
    path("manage/pos/readers/help/", rdr_readers.reader_help, name="reader-help"),
    path("manage/pos/readers/<int:pk>/edit/", rdr_readers.reader_edit, name="reader-edit"),
    path("manage/pos/readers/<int:pk>/delete/", rdr_readers.reader_delete, name="reader-delete"),
    path("manage/pos/readers/<int:pk>/refresh/", rdr_readers.reader_refresh, name="reader-refresh"),
    path("manage/pos/settings/", rdr_settings.pos_settings, name="pos-settings"),
]
