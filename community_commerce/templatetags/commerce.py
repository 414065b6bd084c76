"""Page pieces any forum's templates can call: ``{% load commerce %}``.

* ``{% commerce_offer_panel thread %}``: the offer cards of a thread, with the claim forms
  (it counts the view for the merchant's numbers too).
* ``{% commerce_preload_thread_badges threads [more_threads ...] %}`` once per page, then
  ``{% commerce_thread_badges thread %}`` in each row: the offer badges of a thread list,
  one query for the page.
* ``{% commerce_preload_merchant_badges posts "author_id" %}`` once per page, then
  ``{% commerce_merchant_badge post.author_id %}`` beside each author: one query.
* ``{% commerce_profile_panel member %}``: a member's shop on their profile.
* ``{% commerce_attach_offer_link thread %}``: "Add an offer", for the thread's author
  when they may sell there.
* ``{% commerce_member_link member %}``, ``{% commerce_unread_notices as n %}``,
  ``{% commerce_reputation merchant %}`` and the ``commerce_reason`` and ``commerce_percent``
  filters, for the plugin's own pages.

A ``thread`` is whatever the forum's template has: its own thread object, a thread id
or a ThreadRef (the adapter's ``to_thread_ref`` reads it). The preload tags keep what
they load on the request, so per-row tags find it even inside inclusion tags that get
a fresh context; without a preload a row tag loads its own row (correct, not batched).
The same functions (community_commerce.display) serve the bundled forum's extension hooks.
"""

from babel.numbers import format_percent
from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from community_commerce import display, reasons
from community_commerce.adapters import get_adapter
from community_commerce.money import babel_locale
from community_commerce.services import notices, reputation, stats

register = template.Library()

_PAGE = "_community_commerce_page"


def _request(context):
    return context.get("request") or getattr(context, "request", None)


def _store(context, name) -> dict:
    """A dict kept on the request for the whole page (a throwaway one without a request)."""
    request = _request(context)
    if request is None:
        return {}
    return request.__dict__.setdefault(_PAGE, {}).setdefault(name, {})


def _id(value, attr=None):
    if attr:
        value = getattr(value, attr, None)
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value) if value.isascii() and value.isdigit() else None
    found = getattr(value, "pk", None)
    return found if found is not None else getattr(value, "id", None)


def _badges_html(context, name, value, load) -> str:
    """The badges of one row: from the page's preload, or loaded for this row alone."""
    key = _id(value)
    if key is None:
        return ""
    store = _store(context, name)
    if key not in store:
        _preload(store, [[key]], None, load)
    return format_html_join("", '<span class="badge {}">{}</span>', ((b["css"], b["label"]) for b in store[key]))


def _preload(store, values, attr, load) -> None:
    ids = {i for values_ in values for i in (_id(v, attr) for v in (values_ or ())) if i is not None}
    missing = ids - store.keys()
    if missing:
        found = load(missing)
        for i in missing:
            store[i] = found.get(i, [])


# --- threads ---------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def commerce_offer_panel(context, thread):
    """The panel; it also counts the page view for the merchant's funnel (services/stats.py),
    at no query of its own, so a forum needs no view hook for it."""
    request = _request(context)
    if request is None or thread in (None, ""):
        return ""
    ref = get_adapter().to_thread_ref(thread)
    html = display.thread_offer_panel(request, ref)
    stats.thread_view_listener(request, ref)
    return mark_safe(html)  # noqa: S308 (our own render)


@register.simple_tag(takes_context=True)
def commerce_preload_thread_badges(context, *thread_lists):
    _preload(_store(context, "thread_badges"), thread_lists, None, display.thread_offer_badges)
    return ""


@register.simple_tag(takes_context=True)
def commerce_thread_badges(context, thread):
    return _badges_html(context, "thread_badges", thread, display.thread_offer_badges)


@register.simple_tag(takes_context=True)
def commerce_attach_offer_link(context, thread):
    request = _request(context)
    user = getattr(request, "user", None) or context.get("user")
    if user is None or thread in (None, "") or not user.is_authenticated:
        return ""
    ref = get_adapter().to_thread_ref(thread)
    if not display.may_add_offer(user, ref):
        return ""
    return mark_safe(render_to_string("community_commerce/attach_offer_link.html", {"thread": ref}))  # noqa: S308


# --- members ---------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def commerce_preload_merchant_badges(context, members, attr=None):
    """``members``: users, user ids, or objects whose ``attr`` is one (posts' "author_id")."""
    _preload(_store(context, "merchant_badges"), [members], attr, display.merchant_badges)
    return ""


@register.simple_tag(takes_context=True)
def commerce_merchant_badge(context, member):
    return _badges_html(context, "merchant_badges", member, display.merchant_badges)


@register.simple_tag(takes_context=True)
def commerce_profile_panel(context, member):
    request = _request(context)
    if request is None or member is None:
        return ""
    return mark_safe(display.profile_merchant_panel(request, member))  # noqa: S308 (our own render)


@register.simple_tag
def commerce_member_link(member):
    """A member's name, linked to their profile in the forum when it has one."""
    if member is None:
        return format_html('<span class="member member-deleted">{}</span>', _("deleted member"))
    adapter = get_adapter()
    name, url = adapter.member_display_name(member), adapter.member_profile_url(member)
    if not url:
        return format_html('<span class="member">{}</span>', name)
    return format_html('<a class="member" href="{}">{}</a>', url, name)


@register.simple_tag(takes_context=True)
def commerce_unread_notices(context):
    """How many of the plugin's own notices the member has not read (forums without
    notifications show it in their header: ``{% commerce_unread_notices as n %}``)."""
    request = _request(context)
    return notices.unread_count(getattr(request, "user", None) or context.get("user"))


@register.filter
def commerce_reason(reason):
    """A stored cancel reason as the reader reads it: the plugin's own ones translated."""
    return reasons.shown(reason)


# --- reputation --------------------------------------------------------------------------------


@register.inclusion_tag("community_commerce/reputation.html")
def commerce_reputation(merchant, link=False):
    """A shop's reputation in one line: stars, completed orders, on time, disputes, its promise.
    Reads the row loaded with the merchant (``select_related("merchant__reputation")``): no
    query of its own, so a page of offer cards costs what it did (services/reputation.py)."""
    return {"merchant": merchant, "reputation": reputation.summary(merchant), "link": link}


@register.filter
def commerce_percent(rate):
    """A rate (0.9523) as the reader's language writes a percentage: "95%"."""
    if rate in (None, ""):
        return ""
    return format_percent(rate, format="#,##0%", locale=babel_locale(get_language()))


@register.filter
def commerce_stars(stars):
    """1 to 5 stars drawn: "★★★★☆" (show it aria-hidden, beside the number in words)."""
    try:
        n = max(0, min(int(stars), 5))
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)


@register.inclusion_tag("community_commerce/dashboard_trust.html", takes_context=True)
def commerce_shop_trust(context, merchant):
    """The merchant's dashboard: its reputation, open disputes and ratings waiting for its
    side (two queries), and whether the new-shop limit applies."""
    return {**display.shop_trust(merchant), "request": _request(context)}
