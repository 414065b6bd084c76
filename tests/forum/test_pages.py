"""The forum as a person uses it: pages, forms, htmx answers and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum.models import Notification, Post, Report, Subscription, Thread
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_anonymous_reads_index_category_and_thread(client):
    t = f.thread(title="Bakery opening hours", body="Does the **bakery** open on Sundays?")
    assert "Bakery opening hours" in client.get("/").content.decode()
    page = client.get(t.category.get_absolute_url()).content.decode()
    assert "Bakery opening hours" in page
    response = client.get(t.get_absolute_url())
    assert response.status_code == 200
    assert "<strong>bakery</strong>" in response.content.decode()


def test_thread_url_without_slug_redirects_to_canonical(client):
    t = f.thread(title="Hello there")
    response = client.get(f"/t/{t.pk}/")
    assert response.status_code == 301
    assert response["Location"] == t.get_absolute_url()


def test_missing_and_deleted_threads_are_404_for_members_but_moderators_see_deleted(client):
    t = f.thread(deleted_at="2026-01-01T00:00:00Z")
    assert client.get("/t/999999/x/").status_code == 404
    client.force_login(f.user())
    assert client.get(t.get_absolute_url()).status_code == 404
    client.force_login(f.moderator())
    assert client.get(t.get_absolute_url()).status_code == 200


def test_start_thread_through_the_form(client, flood_off):
    category = f.category()
    member = f.user()
    client.force_login(member)
    response = client.post(
        reverse("forum:new_thread", args=[category.slug]), {"title": "Lost cat", "body": "Grey, *very* fluffy"}
    )
    thread = Thread.objects.get(title="Lost cat")
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    assert thread.posts.get().html.strip() == "<p>Grey, <em>very</em> fluffy</p>"
    assert Subscription.objects.filter(user=member, thread=thread).exists()


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("", "body", "title"), ("ab", "body", "title"), ("x" * 201, "body", "title"), ("Fine title", "   ", "body")],
)
def test_new_thread_form_errors_save_nothing(client, title, body, field, flood_off):
    category = f.category()
    client.force_login(f.user())
    response = client.post(reverse("forum:new_thread", args=[category.slug]), {"title": title, "body": body})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Thread.objects.exists()
    # what was typed is still there
    if body.strip():
        assert body in response.content.decode()


def test_members_cannot_start_threads_in_a_moderators_only_category(client):
    category = f.category(who_can_start="moderators")
    client.force_login(f.user())
    response = client.post(reverse("forum:new_thread", args=[category.slug]), {"title": "Hello", "body": "x"})
    assert response.status_code == 403
    assert not Thread.objects.exists()


def test_anonymous_is_sent_to_login_to_post(client):
    t = f.thread()
    response = client.post(reverse("forum:reply", args=[t.pk]), {"body": "hi"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert t.posts.count() == 1


def test_plain_reply_redirects_to_the_new_post(client, flood_off):
    t = f.thread()
    client.force_login(f.user())
    response = client.post(reverse("forum:reply", args=[t.pk]), {"body": "Me too"})
    post = Post.objects.latest("id")
    assert post.body == "Me too"
    assert response["Location"] == f"/t/{t.pk}/?post={post.pk}"
    final = client.get(response["Location"], follow=True)
    assert final.redirect_chain[-1][0].endswith(f"#post-{post.pk}")
    assert "Me too" in final.content.decode()


def test_htmx_reply_returns_the_new_post_and_a_fresh_form(client, flood_off):
    t = f.thread()
    client.force_login(f.user())
    response = client.post(reverse("forum:reply", args=[t.pk]), {"body": "From *htmx*"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-swap-oob="beforeend:#posts"' in html
    assert "<em>htmx</em>" in html
    assert 'id="reply-box"' in html
    assert "From *htmx*" not in html  # the reply box is empty again


def test_htmx_reply_with_errors_keeps_the_form(client, flood_off):
    t = f.thread()
    client.force_login(f.user())
    response = client.post(reverse("forum:reply", args=[t.pk]), {"body": "  "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["reply_form"].errors["body"]
    assert t.posts.count() == 1


def test_reply_in_locked_thread_is_refused_for_members(client, flood_off):
    t = f.thread(locked=True, locked_reason="Off topic")
    client.force_login(f.user())
    response = client.post(reverse("forum:reply", args=[t.pk]), {"body": "Let me in"})
    assert response.status_code == 403
    assert "Off topic" in response.content.decode()
    assert t.posts.count() == 1


def test_flood_control_on_the_reply_form(client, settings):
    settings.FORUM_FLOOD_SECONDS = 60
    t = f.thread()
    client.force_login(f.user())
    client.post(reverse("forum:reply", args=[t.pk]), {"body": "first"})
    response = client.post(reverse("forum:reply", args=[t.pk]), {"body": "second"})
    assert response.status_code == 429
    assert "too fast" in response.content.decode()
    assert list(t.posts.values_list("body", flat=True)) == ["First post", "first"]


def test_quote_prefills_the_reply_box(client):
    alice = f.user("alice")
    t = f.thread(author=alice, body="Line one\nLine two")
    client.force_login(f.user())
    first = t.posts.get()
    response = client.get(t.get_absolute_url() + f"?quote={first.pk}")
    initial = response.context["reply_form"].initial["body"]
    assert initial.startswith("> **@alice** wrote:")
    assert "> Line one\n> Line two" in initial
    assert "&gt; Line one" in response.content.decode()  # inside the textarea


def test_mention_notifies_with_unread_count_and_email(
    client, mailoutbox, django_capture_on_commit_callbacks, flood_off
):
    alice = f.user("alice")
    bob = f.user("bob")
    t = f.thread(author=bob)
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("forum:reply", args=[t.pk]), {"body": "What do you think, @alice?"})
    note = Notification.objects.get(recipient=alice)
    assert note.kind == "mention"
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert "bob mentioned you" in mailoutbox[0].subject

    client.force_login(alice)
    page = client.get("/")
    assert page.context["unread_notifications"] == 1
    listing = client.get(reverse("forum:notifications")).content.decode()
    assert "bob mentioned you" in listing
    opened = client.get(reverse("forum:notification_open", args=[note.pk]))
    assert opened["Location"] == note.url
    assert client.get("/").context["unread_notifications"] == 0


def test_email_notifications_can_be_switched_off(client, mailoutbox, django_capture_on_commit_callbacks, flood_off):
    alice = f.user("alice")
    client.force_login(alice)
    client.post(reverse("forum:preferences"), {})  # unchecked box = off
    bob = f.user("bob")
    t = f.thread(author=bob)
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("forum:reply", args=[t.pk]), {"body": "ping @alice"})
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert mailoutbox == []


def test_watch_and_unwatch(client):
    t = f.thread()
    member = f.user()
    client.force_login(member)
    client.post(reverse("forum:watch", args=[t.pk]), {"watch": "1"})
    assert Subscription.objects.filter(user=member, thread=t).exists()
    response = client.post(reverse("forum:watch", args=[t.pk]), {"watch": "0"}, HTTP_HX_REQUEST="true")
    assert not Subscription.objects.filter(user=member, thread=t).exists()
    assert 'name="watch" value="1"' in response.content.decode()


def test_edit_own_post_keeps_history_and_others_cannot_edit(client):
    author = f.user()
    t = f.thread(author=author, body="Old text")
    post = t.posts.get()
    client.force_login(author)
    client.post(reverse("forum:edit_post", args=[post.pk]), {"body": "New text"})
    post.refresh_from_db()
    assert post.body == "New text"
    assert post.edit_count == 1
    history = client.get(reverse("forum:post_history", args=[post.pk])).content.decode()
    assert "Old text" in history
    assert "New text" in history

    client.force_login(f.user())
    response = client.post(reverse("forum:edit_post", args=[post.pk]), {"body": "Vandalised"})
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.body == "New text"


def test_moderator_pins_locks_moves_and_deletes_through_the_pages(client):
    t = f.thread()
    other = f.category()
    client.force_login(f.moderator())
    client.post(reverse("forum:thread_action", args=[t.pk, "pin"]))
    client.post(reverse("forum:thread_action", args=[t.pk, "lock"]), {"reason": "Resolved"})
    client.post(reverse("forum:thread_action", args=[t.pk, "move"]), {"category": other.pk})
    t.refresh_from_db()
    assert (t.pinned, t.locked, t.locked_reason, t.category_id) == (True, True, "Resolved", other.pk)
    client.post(reverse("forum:thread_action", args=[t.pk, "delete"]), {"reason": "spam"})
    t.refresh_from_db()
    assert t.deleted_at is not None
    client.post(reverse("forum:thread_action", args=[t.pk, "restore"]))
    t.refresh_from_db()
    assert t.deleted_at is None


def test_moderator_deletes_and_restores_a_reply(client):
    t = f.thread()
    reply = f.post(thread_=t, bump=True)
    client.force_login(f.moderator())
    client.post(reverse("forum:post_action", args=[reply.pk, "delete"]))
    reply.refresh_from_db()
    t.refresh_from_db()
    assert reply.deleted_at is not None and t.reply_count == 0
    client.force_login(f.user())
    assert "A reply" not in client.get(t.get_absolute_url()).content.decode()


@pytest.mark.parametrize("action", ["pin", "unpin", "lock", "unlock", "move", "delete", "restore"])
def test_members_cannot_moderate(client, action):
    t = f.thread()
    client.force_login(f.user())
    response = client.post(reverse("forum:thread_action", args=[t.pk, action]), {"reason": "x"})
    assert response.status_code == 403
    fresh = Thread.objects.get(pk=t.pk)
    assert (fresh.pinned, fresh.locked, fresh.category_id, fresh.deleted_at) == (False, False, t.category_id, None)


def test_report_goes_to_the_queue_and_moderator_resolves_it(client):
    t = f.thread()
    post = t.posts.get()
    client.force_login(f.user())
    client.post(reverse("forum:report_post", args=[post.pk]), {"reason": "Rude"})
    report = Report.objects.get()
    client.force_login(f.moderator())
    assert "Rude" in client.get(reverse("forum:report_queue")).content.decode()
    client.post(reverse("forum:report_handle", args=[report.pk, "resolved"]))
    report.refresh_from_db()
    assert report.status == "resolved"
    client.force_login(f.user())
    assert client.get(reverse("forum:report_queue")).status_code == 403


def test_post_param_lands_on_the_right_page(client, settings):
    settings.FORUM_POSTS_PER_PAGE = 5
    t = f.thread()
    posts = [f.post(thread_=t, body=f"reply {i}") for i in range(12)]
    target = posts[7]  # the 9th post in the thread: page 2
    response = client.get(f"/t/{t.pk}/?post={target.pk}")
    assert response["Location"] == f"{t.get_absolute_url()}?page=2#post-{target.pk}"
    page = client.get(response["Location"])
    assert f'id="post-{target.pk}"' in page.content.decode()


def test_search_page(client):
    f.thread(title="Tomato seedlings to swap", body="I have too many")
    f.thread(title="Bicycle repair", body="Flat tyre")
    html = client.get(reverse("forum:search"), {"q": "tomato"}).content.decode()
    assert "Tomato seedlings to swap" in html
    assert "Bicycle repair" not in html


def test_profile_shows_threads_posts_and_join_date(client):
    alice = f.user("alice")
    t = f.thread(author=alice, title="Alice's question")
    f.post(thread_=t, author=alice, body="Alice follows up")
    response = client.get(reverse("forum:profile", args=["alice"]))
    html = response.content.decode()
    assert "Alice&#x27;s question" in html or "Alice's question" in html
    assert "Alice follows up" in html
    assert response.context["post_count"] == 2


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["anonymous", "member", "moderator"])
def test_thread_page_query_count_does_not_grow_with_posts(client, who):
    t = f.thread()
    if who == "member":
        client.force_login(f.user())
    elif who == "moderator":
        client.force_login(f.moderator())
    f.post(thread_=t)
    few = _queries(client, t.get_absolute_url())
    for _ in range(18):  # a full page, every post by a different member
        f.post(thread_=t)
    many = _queries(client, t.get_absolute_url())
    assert few == many


def test_category_page_query_count_does_not_grow_with_threads(client):
    category = f.category()
    f.thread(category_=category)
    few = _queries(client, category.get_absolute_url())
    for _ in range(10):
        f.thread(category_=category)
    assert _queries(client, category.get_absolute_url()) == few
