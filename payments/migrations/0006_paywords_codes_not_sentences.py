"""Store codes, not sentences: a payment's route becomes its rule + parameters (issue 10).

Existing rows' sentences are converted where the parameters can be derived and the sentence
re-worded from them reads exactly as stored (in English or French); otherwise the sentence is
kept as legacy text, shown as it is. The status history's "created" row stops repeating it.
Also: choices on the status history (labels instead of codes), Stripe's requirement deadline, and
the saved methods' fingerprint (the same card saved twice is refused).
"""

from django.db import migrations, models
from django.utils import translation

LOCATION_RULES = ("pos_location", "item_location", "client_home_location")
WHY = {
    "pos_location": "location chosen at the start of the sale",
    "item_location": "where the purchase takes place",
    "client_home_location": "client's home location",
}


def _sentences(rule, params):
    """The sentence the routing service wrote before this migration, in each language it spoke."""
    out = []
    for language in ("en", "fr"):
        with translation.override(language):
            _ = translation.gettext
            if rule in LOCATION_RULES:
                out.append(_("%(location)s — %(why)s (account “%(account)s”)") % {
                    "location": params["location_name"], "why": _(WHY[rule]), "account": params["account_name"]})
            elif rule == "default":
                out.append(_("Studio's default account “%(account)s”") % {"account": params["account_name"]})
            elif rule == "escrow":
                out.append(_("No account can take payments yet: held in escrow by the platform until one can"))
    return out


def _derive(payment, Location, ConnectedAccount):
    rule = payment.routing_rule
    params = {}
    if rule in LOCATION_RULES:
        location_id = payment.client_home_location_id if rule == "client_home_location" else payment.location_id
        if location_id is None or payment.account_id is None:
            return None
        location = Location.objects.filter(pk=location_id).first()
        account = ConnectedAccount.objects.filter(pk=payment.account_id).first()
        if location is None or account is None:
            return None
        params = {"location": location.pk, "location_name": location.name, "account": account.pk,
                  "account_name": account.display_name}
    elif rule == "default":
        account = ConnectedAccount.objects.filter(pk=payment.account_id).first()
        if account is None:
            return None
        params = {"account": account.pk, "account_name": account.display_name}
    elif rule != "escrow":
        return None
    return params if payment.routing_reason in _sentences(rule, params) else None


def forwards(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    PaymentStatusChange = apps.get_model("payments", "PaymentStatusChange")
    Location = apps.get_model("studio", "Location")
    ConnectedAccount = apps.get_model("payments", "ConnectedAccount")
    for payment in Payment.objects.exclude(routing_reason="").filter(routing_params={}).iterator():
        params = _derive(payment, Location, ConnectedAccount)
        if params is None:
            continue  # kept as legacy text
        PaymentStatusChange.objects.filter(payment_id=payment.pk, source="created",
                                           detail=payment.routing_reason).update(detail="")
        Payment.objects.filter(pk=payment.pk).update(routing_params=params, routing_reason="")


def backwards(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    for payment in Payment.objects.filter(routing_reason="").exclude(routing_params={}).iterator():
        sentences = _sentences(payment.routing_rule, payment.routing_params)
        if sentences:
            Payment.objects.filter(pk=payment.pk).update(routing_reason=sentences[0][:300])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_escrow_seed_fields"),
        ("studio", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment", name="routing_params", field=models.JSONField(blank=True, default=dict)),
        migrations.AlterField(
            model_name="payment", name="routing_reason",
            field=models.CharField(blank=True, max_length=300, verbose_name="why this account")),
        migrations.AlterField(
            model_name="paymentstatuschange", name="status",
            field=models.CharField(choices=[("pending", "Pending"), ("requires_action", "Waiting for the client"),
                                            ("processing", "Processing"), ("authorized", "Authorized"),
                                            ("succeeded", "Succeeded"), ("failed", "Failed"),
                                            ("canceled", "Canceled")], max_length=20)),
        migrations.AlterField(
            model_name="paymentstatuschange", name="source",
            field=models.CharField(choices=[("created", "Created"), ("api", "Stripe's answer"),
                                            ("webhook", "Stripe notification"), ("reconcile", "Automatic check"),
                                            ("staff", "Staff")], max_length=20)),
        migrations.AddField(
            model_name="connectedaccount", name="requirements_deadline",
            field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(
            model_name="savedpaymentmethod", name="fingerprint", field=models.CharField(blank=True, max_length=64)),
        migrations.AddIndex(
            model_name="savedpaymentmethod",
            index=models.Index(fields=["studio", "account", "fingerprint"], name="payments_sa_studio__559018_idx")),
        migrations.RunPython(forwards, backwards),
    ]
