# The questionnaire's drafts (autosave of an axis, per person; never an answer).
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assessments", "0004_campaign_reminder")]

    operations = [
        migrations.CreateModel(
            name="AnswerDraft",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("data", models.JSONField(default=dict)),
                ("saved_at", models.DateTimeField()),
                (
                    "assessment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answer_drafts",
                        to="assessments.assessment",
                    ),
                ),
                (
                    "axis",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="referential.axis"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "answer draft",
                "verbose_name_plural": "answer drafts",
                "constraints": [
                    models.UniqueConstraint(fields=("assessment", "axis", "user"), name="answer_draft_unique")
                ],
            },
        ),
    ]
