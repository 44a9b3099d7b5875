# Reserved for the questionnaire's schema changes (drafts, autosave); filled by its owner.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("assessments", "0004_campaign_reminder")]

    operations: list = []
