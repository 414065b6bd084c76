"""Extension points for apps built on the forum (the commerce plugin uses them).

The forum calls these registries with whole pages of ids at once, so an
extension costs a fixed number of queries per page, never one per post.
"""

from collections.abc import Callable, Iterable

# fn(user_ids) -> {user_id: [badge, ...]}, a badge being {"label": str, "css": str}
_user_badge_providers: list[Callable[[Iterable[int]], dict]] = []
# fn(thread_ids) -> {thread_id: {field: value}} merged into the thread's API data
_thread_api_providers: list[Callable[[Iterable[int]], dict]] = []
# fn(request, thread) -> HTML (already safe) shown above the posts of a thread
_thread_panels: list[Callable] = []


def register_user_badges(fn):
    if fn not in _user_badge_providers:
        _user_badge_providers.append(fn)
    return fn


def register_thread_api_fields(fn):
    if fn not in _thread_api_providers:
        _thread_api_providers.append(fn)
    return fn


# fn(request, member) -> HTML (already safe) shown on a member's profile
_profile_panels: list[Callable] = []


def register_profile_panel(fn):
    if fn not in _profile_panels:
        _profile_panels.append(fn)
    return fn


def profile_panels(request, member) -> list[str]:
    return [html for html in (fn(request, member) for fn in _profile_panels) if html]


def register_thread_panel(fn):
    if fn not in _thread_panels:
        _thread_panels.append(fn)
    return fn


def thread_panels(request, thread) -> list[str]:
    """The HTML panels other apps show on a thread page (an offer card, say)."""
    return [html for html in (fn(request, thread) for fn in _thread_panels) if html]


def user_badges(user_ids) -> dict[int, list[dict]]:
    ids = {i for i in user_ids if i}
    badges: dict[int, list[dict]] = {}
    if ids:
        for provider in _user_badge_providers:
            for user_id, items in provider(ids).items():
                badges.setdefault(user_id, []).extend(items)
    return badges


def thread_api_fields(thread_ids) -> dict[int, dict]:
    ids = set(thread_ids)
    fields: dict[int, dict] = {i: {} for i in ids}
    if ids:
        for provider in _thread_api_providers:
            for thread_id, extra in provider(ids).items():
                fields.setdefault(thread_id, {}).update(extra)
    return fields


# --- Thread lists: small badges beside a thread's title ----------------------
# fn(thread_ids) -> {thread_id: [badge, ...]}, a badge being {"label": str, "css": str}
_thread_list_badge_providers: list[Callable[[Iterable[int]], dict]] = []


def register_thread_list_badges(fn):
    if fn not in _thread_list_badge_providers:
        _thread_list_badge_providers.append(fn)
    return fn


def attach_thread_list_badges(threads) -> None:
    """Set ``thread.list_badges`` on every thread of a listing, in one call per provider."""
    threads = list(threads)
    badges: dict[int, list[dict]] = {}
    if threads:
        for provider in _thread_list_badge_providers:
            for thread_id, items in provider([t.pk for t in threads]).items():
                badges.setdefault(thread_id, []).extend(items)
    for thread in threads:
        thread.list_badges = badges.get(thread.pk, [])


# --- Thread views: apps that count who reads a thread ------------------------
# fn(request, thread) -> None; called once per thread page served
_thread_view_listeners: list[Callable] = []


def register_thread_view_listener(fn):
    if fn not in _thread_view_listeners:
        _thread_view_listeners.append(fn)
    return fn


def thread_viewed(request, thread) -> None:
    for fn in _thread_view_listeners:
        fn(request, thread)


# --- Deleted threads: apps whose data hangs on a thread (an offer, say) ------
# fn(thread) -> None; called inside the moderator's transaction when a thread is deleted
_thread_deleted_listeners: list[Callable] = []


def register_thread_deleted_listener(fn):
    if fn not in _thread_deleted_listeners:
        _thread_deleted_listeners.append(fn)
    return fn


def thread_deleted(thread) -> None:
    for fn in _thread_deleted_listeners:
        fn(thread)


# --- The new-thread composer: extra sections (an offer, say) -----------------


class ComposerSection:
    """A section of the new-thread form contributed by another app.

    ``render`` returns HTML for the form (with the posted data and the errors
    of the last try), ``validate`` checks the posted data before anything is
    saved, and ``save`` runs in the same transaction as the new thread: if it
    returns errors, the thread is rolled back and the form shown again.
    """

    def render(self, request, category, data, errors) -> str:
        return ""

    def validate(self, request, category, data) -> dict[str, list[str]]:
        return {}

    def save(self, request, thread, data) -> dict[str, list[str]]:
        return {}


_composer_sections: list[ComposerSection] = []


def register_composer_section(section: ComposerSection):
    if all(type(s) is not type(section) for s in _composer_sections):
        _composer_sections.append(section)
    return section


def composer_sections() -> list[ComposerSection]:
    return list(_composer_sections)
