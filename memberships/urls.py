from django.urls import path

from memberships.views import plans

urlpatterns = [
    # plans (H1)
    path("manage/memberships/", plans.plan_list, name="plan-list"),
    # selling and a client's memberships (H2)
    # lifecycle: pause, cancel, change (H6)
    # renewals page and settings (H7)
    # client's account pages: fix a payment, confirm a renewal (H4)
]
