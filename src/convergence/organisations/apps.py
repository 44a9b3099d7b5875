from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "convergence.organisations"
    label = "organisations"

    def ready(self) -> None:
        # Connect the signal receivers: security events and the audit trail.
        from . import audit, security  # noqa: F401
