"""A member replies, quotes and mentions in the browser; the mentioned member sees it."""

import re

import pytest

from tests import factories as f
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_reply_quote_and_mention_without_a_reload(new_page, settings):
    settings.FORUM_FLOOD_SECONDS = settings.FORUM_NEW_MEMBER_FLOOD_SECONDS = 0
    f.user("alice")
    bob = f.user("bob")
    thread = f.thread(author=bob, title="Street party on the 14th?", body="Who brings **tables**?")

    page = new_page()
    log_in(page, "alice", f.PASSWORD)
    page.goto(thread.get_absolute_url())
    first = page.locator("article.post").first
    first.get_by_role("link", name=re.compile("Quote", re.I)).click()
    box = page.locator("#reply textarea[name=body]")
    assert box.input_value().startswith("> **@bob** wrote:")
    box.fill(box.input_value() + "I can, @bob. Count me in!")
    url_before = page.url
    page.locator("#reply button[type=submit]").click()
    new_post = page.locator("article.post").filter(has_text="Count me in!")
    new_post.wait_for()
    assert page.url == url_before  # htmx: no full reload
    assert page.locator("#reply-count").inner_text() == "1 reply"
    assert page.locator("#watch-button button").inner_text().strip() == "Unwatch"
    assert page.locator("#reply textarea[name=body]").input_value() == ""  # a fresh reply box
    assert new_post.locator("a.mention", has_text="@bob").count() == 2  # in the quote header and the text

    other = new_page()
    log_in(other, "bob", f.PASSWORD)
    other.goto("/")
    assert other.get_by_role("link", name=re.compile(r"Notifications.*1 unread")).count() == 1
    other.goto("/notifications/")
    other.get_by_role("link", name=re.compile("alice mentioned you")).click()
    other.wait_for_url(re.compile(r"#post-\d+$"))
    assert other.locator("article.post").filter(has_text="Count me in!").is_visible()
