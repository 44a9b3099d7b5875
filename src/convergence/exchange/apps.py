from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "convergence.exchange"
    label = "exchange"
