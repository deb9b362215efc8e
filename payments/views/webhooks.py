"""Stripe webhooks (PAY-5): verify against the raw body, store once, answer 200, work later."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import gateway
from payments.services.webhooks import webhook_receive


@csrf_exempt
@require_POST
def stripe_webhook(request, connect: bool):
    secret = settings.STRIPE_CONNECT_WEBHOOK_SECRET if connect else settings.STRIPE_WEBHOOK_SECRET
    try:
        event = gateway.webhook_event_parse(
            payload=request.body, signature_header=request.headers.get("Stripe-Signature", ""), secret=secret
        )
    except gateway.WebhookSignatureError:
        return HttpResponseBadRequest("invalid signature")
    webhook_receive(event=event)
    return HttpResponse("ok")
