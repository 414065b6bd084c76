"""A forum without notifications or thread events, for the tests: the bundled forum's
adapter with the base class's defaults put back, so the plugin's own notices and
thread events (adapters/base.py) serve it. Import path for the setting:
``tests.adapters.fallback.FallbackForumAdapter``."""

from community_commerce.adapters.base import ForumAdapter
from community_commerce.adapters.bundled import BundledForumAdapter


class FallbackForumAdapter(BundledForumAdapter):
    label = ForumAdapter.label
    post_thread_event = ForumAdapter.post_thread_event
    notify = ForumAdapter.notify
    notify_each = ForumAdapter.notify_each
    deliver_each = ForumAdapter.deliver_each
    already_notified = ForumAdapter.already_notified


PATH = f"{__name__}.FallbackForumAdapter"
