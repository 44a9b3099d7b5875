from django.apps import AppConfig


class ReferentialConfig(AppConfig):
    name = "convergence.referential"
    label = "referential"
