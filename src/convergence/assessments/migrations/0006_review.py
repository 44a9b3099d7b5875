# Reserved for the review's schema changes (assignment, comment threads); filled by its owner.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_questionnaire")]

    operations: list = []
