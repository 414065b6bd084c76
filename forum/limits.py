"""Input limits and their checks, shared by forms, the API and services."""

from django.utils.translation import gettext as _

from forum.errors import InvalidInput

TITLE_MIN = 3
TITLE_MAX = 200
BODY_MAX = 20_000
REASON_MAX = 300


def clean_title(value) -> str:
    title = " ".join(str(value or "").split())
    if len(title) < TITLE_MIN:
        raise InvalidInput(fields={"title": [_("Give the thread a title of at least %d characters.") % TITLE_MIN]})
    if len(title) > TITLE_MAX:
        raise InvalidInput(fields={"title": [_("A title has at most %d characters.") % TITLE_MAX]})
    return title


def clean_body(value) -> str:
    body = str(value or "").strip()
    if not body:
        raise InvalidInput(fields={"body": [_("Write something first.")]})
    if len(body) > BODY_MAX:
        raise InvalidInput(fields={"body": [_("A post has at most %d characters.") % BODY_MAX]})
    return body


def clean_reason(value, *, required=False) -> str:
    reason = " ".join(str(value or "").split())
    if required and not reason:
        raise InvalidInput(fields={"reason": [_("Give a reason.")]})
    if len(reason) > REASON_MAX:
        raise InvalidInput(fields={"reason": [_("A reason has at most %d characters.") % REASON_MAX]})
    return reason
