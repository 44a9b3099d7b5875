from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def notifications(request):
    """`notifications_unread` for the bell of the header: one COUNT, only on pages that show it."""
    user = getattr(request, "user", None)
    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user))}
