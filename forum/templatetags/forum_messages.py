"""Show stored messages (thread events, notifications) in the reader's language."""

from django import template
from django.utils.safestring import mark_safe

from forum.services.events import event_html as _event_html

register = template.Library()


@register.filter
def event_html(post):
    """A thread event line in the current language: escaped plain text in a <p>."""
    return mark_safe(_event_html(post))  # noqa: S308 - markdown.plain_event escapes it
