from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "convergence.notifications"
    label = "notifications"
