from django.urls import path  # noqa: F401

# Each helper's patterns in its own section (issue 13). Staff pages under manage/waivers/,
# the client's under account/waivers/, the emailed link's hosted page under waivers/sign/.
urlpatterns: list = []

# --- templates and versions (wtpl) ---
urlpatterns += []

# --- signing: in person, emailed links, checkbox (wsign) ---
urlpatterns += []

# --- signed records, PDFs, client account list (wrec) ---
urlpatterns += []

# --- requirements (wreq) ---
urlpatterns += []
