from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "convergence.analytics"
    label = "analytics"
