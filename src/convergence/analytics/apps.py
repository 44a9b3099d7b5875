from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "convergence.analytics"
    label = "analytics"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
        from convergence.catalog.models import Subject
        from convergence.organisations.models import Organisation
        from convergence.referential.models import Expectation, ProductCategory, Referential, ServiceType

        from .facts import facts_changed

        # The after-commit hook of every write to what the facts derive from (facts/hooks.py).
        for model in (
            Answer,
            AnswerBlocker,
            Assessment,
            Campaign,
            Milestone,
            Subject,
            Organisation,
            Expectation,
            ProductCategory,
            Referential,
            ServiceType,
        ):
            for signal in (post_save, post_delete):
                signal.connect(facts_changed, sender=model, dispatch_uid=f"analytics-facts-{model.__name__}")
