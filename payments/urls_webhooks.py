from django.urls import path

from payments.views import webhooks

urlpatterns = [
    path("stripe/", webhooks.stripe_webhook, {"connect": False}, name="stripe-webhook"),
    path("stripe/connect/", webhooks.stripe_webhook, {"connect": True}, name="stripe-webhook-connect"),
]
