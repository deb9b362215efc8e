from django.urls import path

from memberships.views import plans

urlpatterns = [
    path("manage/memberships/", plans.plan_list, name="plan-list"),
]
