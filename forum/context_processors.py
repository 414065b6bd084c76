from forum.permissions import is_moderator
from forum.services.notifications import unread_count


def forum(request):
    """Header data for every page: one COUNT query for a signed-in member."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0, "is_moderator": False}
    return {"unread_notifications": unread_count(user), "is_moderator": is_moderator(user)}
