"""Members report posts; moderators work the queue (forum.services.moderation.handle_report)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forum.errors import ForumError, InvalidInput, NotAllowed
from forum.models import Report


class AlreadyReported(ForumError):
    status = 409
    code = "already_reported"
    default_message = gettext_lazy("You have already reported this post.")


REASON_MAX = 1000


def report_post(*, reporter, post, reason) -> Report:
    if not reporter.is_authenticated:
        raise NotAllowed()
    if post.author_id == reporter.pk:
        raise NotAllowed(_("You cannot report your own post."), code="own_post")
    reason = str(reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Tell the moderators what is wrong.")]})
    if len(reason) > REASON_MAX:
        raise InvalidInput(fields={"reason": [_("A reason has at most %d characters.") % REASON_MAX]})
    try:
        with transaction.atomic():
            return Report.objects.create(post=post, reporter=reporter, reason=reason)
    except IntegrityError:
        raise AlreadyReported() from None
