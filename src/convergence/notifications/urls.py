from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/lue/", views.notification_read, name="read"),
    path("tout-lu/", views.notification_read_all, name="read_all"),
    path("preferences/", views.notification_preferences, name="preferences"),
]

# Who may reach each URL (docs/development.md). A notification is its recipient's: anyone else's
# is a 404 (hence "member", whose rule hides another's object).
ACCESS_POLICY = {
    "list": "authenticated",
    "read": "member",
    "read_all": "authenticated",
    "preferences": "authenticated",
}
