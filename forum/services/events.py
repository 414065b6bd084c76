"""Thread events: one-line notes in a thread written by the system (an offer opened, closed).

An event is stored language-neutral: ``body`` holds the msgid (the English source
string, marked for translation where it is written) and ``params`` its values;
pages render it in the reader's language (forum.messages). ``html`` keeps the
English rendering for readers that do not render messages.
"""

from django.db import transaction
from django.utils import timezone

from forum import markdown, messages
from forum.models import Post, Thread


def post_event(*, thread_id: int, message: str = "", params=None, text: str = "") -> Post:
    """Append an event line to the thread and bump its activity. Not a reply: reply_count stays.

    ``message`` + ``params``: a msgid and its values, shown in each reader's language.
    ``text``: an already final text (shown as it is), for callers without a msgid."""
    now = timezone.now()
    body, params = (str(message), dict(params or {})) if message else (str(text), {})
    english = messages.english(body, params) if message else body
    with transaction.atomic():
        post = Post.objects.create(
            thread_id=thread_id, author=None, kind=Post.Kind.EVENT, body=body, params=params,
            html=markdown.plain_event(english), created_at=now,
        )  # fmt: skip
        Thread.objects.filter(pk=thread_id).update(last_activity_at=now)
    return post


def event_html(post) -> str:
    """The event line as HTML in the current language (escaped plain text); an event
    stored before messages, or written with ``text``, keeps its html."""
    if post.params:
        return markdown.plain_event(messages.render(post.body, post.params))
    return post.html
