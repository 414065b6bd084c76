"""Language-neutral messages: what a notification or a thread event says, stored as
the English source string (a msgid, marked for translation where it is written)
plus JSON params, and rendered in the reader's language when it is shown.

A param is used as it is, except a translatable label ``{"msgid": "Flash sale"}``
(optionally with ``"context"`` for pgettext, and ``"params"`` to nest a message),
which is translated too.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext

DEFAULT_LANGUAGE = "en"  # the language of the msgids, and of the stored ``text``


def label(msgid, *, context=None, params=None) -> dict:
    """A param that is itself translated on display. Pass the English source string."""
    value = {"msgid": str(msgid)}
    if context:
        value["context"] = str(context)
    if params:
        value["params"] = dict(params)
    return value


def render(msgid, params=None) -> str:
    """The message in the current language, its params filled in."""
    if not msgid:
        return ""
    text = gettext(str(msgid))
    if not params:
        return text
    values = {key: _value(value) for key, value in params.items()}
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        return str(msgid) % values  # a broken translation never hides the message


def render_in(language, msgid, params=None) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return render(msgid, params)


def english(msgid, params=None) -> str:
    """The English rendering, kept in ``text`` / ``html`` for emails, admin and old readers."""
    return render_in(DEFAULT_LANGUAGE, msgid, params)


def _value(value):
    if isinstance(value, dict) and "msgid" in value:
        if value.get("params"):
            return render(value["msgid"], value["params"])
        if value.get("context"):
            return pgettext(value["context"], value["msgid"])
        return gettext(value["msgid"])
    return value


def remember_language(user, language) -> None:
    """Store the member's chosen language, for what is written to them later (emails)."""
    from forum.models import MemberPreferences

    codes = {code for code, _name in settings.LANGUAGES}
    if not getattr(user, "is_authenticated", False) or language not in codes:
        return
    if not MemberPreferences.objects.filter(user=user, language=language).exists():
        MemberPreferences.objects.update_or_create(user=user, defaults={"language": language})


def remember_language_at_login(sender, request, user, **kwargs):
    """user_logged_in (sent by Django's login, so by allauth's too): keep the language the
    member reads in (LocaleMiddleware's choice for this request)."""
    remember_language(user, getattr(request, "LANGUAGE_CODE", None))
