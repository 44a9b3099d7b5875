from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "convergence.api"
    label = "api"
