from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "convergence.demo"
    label = "demo"
