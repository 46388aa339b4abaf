from django.db import migrations


def backfill(apps, schema_editor):
    """Subscriptions bought before billing existed accrue from the day they were bought, at the
    quantity they have now: their earlier changes were never recorded as seat changes."""
    Subscription = apps.get_model("commerce", "Subscription")
    SeatChange = apps.get_model("billing", "SeatChange")
    rows = [
        SeatChange(
            subscription_id=s.id,
            partner_id=s.partner_id,
            customer_id=s.customer_id,
            day=s.created_at.date(),
            seats=s.quantity,
            reason="backfill",
            created_at=s.created_at,
        )
        for s in Subscription.objects.filter(status="active", is_trial=False).iterator()
    ]
    SeatChange.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
