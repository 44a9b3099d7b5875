from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "convergence.organisations"
    label = "organisations"
