"""Language-neutral texts of the plugin's own notices and thread events (the fallbacks
for forums without notifications or thread events: adapters/base.py).

A text is stored once as its English source string (a msgid, marked with gettext_noop
where it is written) plus JSON params, and rendered in each reader's language when it
is shown or emailed. A param ``{"msgid": ..., "params"?: {...}}`` (:func:`label`) is
translated too. The bundled forum stores its messages in the same shape.
"""

from django.utils import translation
from django.utils.translation import gettext


def label(msgid, params=None) -> dict:
    """A param translated on display: the English source string (and its own params)."""
    value = {"msgid": str(msgid)}
    if params:
        value["params"] = dict(params)
    return value


def render(msgid, params=None) -> str:
    """The message in the current language, its params filled in (a broken translation
    falls back to the English source rather than hide the message)."""
    if not msgid:
        return ""
    text = gettext(str(msgid))
    if not params:
        return text
    values = {key: _value(value) for key, value in params.items()}
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        return str(msgid) % values


def render_in(language, msgid, params=None) -> str:
    with translation.override(language):
        return render(msgid, params)


def _value(value):
    if isinstance(value, dict) and "msgid" in value:
        return render(value["msgid"], value.get("params"))
    return value
