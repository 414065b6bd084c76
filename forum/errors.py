"""Domain errors with stable codes. Views turn them into form errors, the API into JSON."""

from django.utils.translation import gettext_lazy as _


class ForumError(Exception):
    status = 400
    code = "invalid"
    default_message = _("The request is not valid.")

    def __init__(self, message=None, *, fields=None, code=None):
        self.message = str(message or self.default_message)
        self.fields = fields or {}
        if code:
            self.code = code
        super().__init__(self.message)


class InvalidInput(ForumError):
    status = 400
    code = "invalid"


class NotAllowed(ForumError):
    status = 403
    code = "forbidden"
    default_message = _("You are not allowed to do that.")


class ThreadLocked(NotAllowed):
    code = "thread_locked"
    default_message = _("This thread is locked.")


class NotFound(ForumError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class FloodControl(ForumError):
    status = 429
    code = "flood_control"

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(_("You are posting too fast. Try again in %(seconds)s seconds.") % {"seconds": retry_after})
