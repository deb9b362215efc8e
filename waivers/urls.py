from django.urls import path

# Each helper's patterns in its own section (issue 13). Staff pages under manage/waivers/,
# the client's under account/waivers/, the emailed link's hosted page under waivers/sign/.
urlpatterns: list = []

# --- templates and versions (wtpl) ---
from waivers.views import manage as _wtpl  # noqa: E402

urlpatterns += [
    path("manage/waivers/", _wtpl.waiver_list, name="waiver-list"),
    path("manage/waivers/new/", _wtpl.waiver_create, name="waiver-create"),
    path("manage/waivers/settings/", _wtpl.waiver_settings, name="waiver-settings"),
    path("manage/waivers/<int:pk>/", _wtpl.waiver_edit, name="waiver-edit"),
    path("manage/waivers/<int:pk>/publish/", _wtpl.waiver_publish, name="waiver-publish"),
    path("manage/waivers/<int:pk>/archive/", _wtpl.waiver_archive, name="waiver-archive"),
    path("manage/waivers/<int:pk>/versions/<int:number>/", _wtpl.waiver_version, name="waiver-version"),
]

# --- signing: in person, emailed links, checkbox (wsign) ---
from waivers.views import signing as _wsign  # noqa: E402

urlpatterns += [
    path(
        "manage/clients/<int:pk>/waivers/<int:waiver_pk>/sign/",
        _wsign.client_waiver_sign,
        name="client-waiver-sign",
    ),
    path(
        "manage/clients/<int:pk>/waivers/<int:waiver_pk>/send/",
        _wsign.client_waiver_send,
        name="client-waiver-send",
    ),
    path("waivers/sign/<str:token>/", _wsign.waiver_link_sign, name="waiver-link-sign"),
    path("account/waivers/<int:waiver_pk>/sign/", _wsign.account_waiver_sign, name="account-waiver-sign"),
]

# --- signed records, PDFs, client account list (wrec) ---
from waivers.views import records as _wrec  # noqa: E402

urlpatterns += [
    path("manage/waivers/signatures/<int:pk>/", _wrec.signature_detail, name="waiver-signature"),
    path("manage/waivers/signatures/<int:pk>/pdf/", _wrec.signature_pdf_staff, name="waiver-signature-pdf"),
    path(
        "manage/waivers/signatures/<int:pk>/signature.png",
        _wrec.signature_image,
        name="waiver-signature-image",
    ),
    path("account/waivers/", _wrec.account_waivers, name="account-waivers"),
    path("account/waivers/<int:pk>/pdf/", _wrec.account_waiver_pdf, name="account-waiver-pdf"),
]

# --- requirements (wreq) ---
from waivers.views import requirements as _wreq  # noqa: E402

urlpatterns += [
    path("manage/waivers/<int:pk>/requirements/", _wreq.waiver_requirements, name="waiver-requirements"),
]
