import uuid

from django.db import migrations, models

SKU_NAMESPACE = uuid.UUID("5d0b7c8e-3f41-4a2e-9c6b-8a1f0e2d4b37")  # catalog.models.SKU_NAMESPACE


def fill(apps, schema_editor):
    Offer = apps.get_model("catalog", "Offer")
    for offer in Offer.objects.all():
        offer.guid = uuid.uuid5(SKU_NAMESPACE, offer.id)
        offer.save(update_fields=["guid"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.AddField(model_name="offer", name="guid", field=models.UUIDField(null=True, editable=False)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="offer", name="guid", field=models.UUIDField(unique=True, editable=False)
        ),
    ]
