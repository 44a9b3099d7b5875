from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "convergence.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (request id carried into the worker's tasks)
