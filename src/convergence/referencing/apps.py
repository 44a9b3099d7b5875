from django.apps import AppConfig
from django.db.models.signals import post_save, pre_save


class ReferencingConfig(AppConfig):
    name = "convergence.referencing"
    label = "referencing"

    def ready(self) -> None:
        from . import signals

        pre_save.connect(
            signals.subject_version_changing, sender="catalog.Subject", dispatch_uid="referencing_subject"
        )
        post_save.connect(
            signals.referential_published,
            sender="referential.Referential",
            dispatch_uid="referencing_referential",
        )
