"""The forum part of the JSON API v1 (shared/API.md), through Django's test client."""

import json

import pytest
from django.test import Client

from forum import limits
from forum.models import Category, Post, Thread
from forum.services import moderation
from tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1"


def get(client, path, **headers):
    return client.get(f"{API}{path}", headers=headers)


def post_json(client, path, data, **headers):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(f"{API}{path}", body, content_type="application/json", headers=headers)


def allauth_app(client, action, data):
    """allauth's headless "app" API (sign-up, login)."""
    return client.post(f"/_allauth/app/v1/auth/{action}", json.dumps(data), content_type="application/json")


def login_token(client, username, password=factories.PASSWORD):
    response = allauth_app(client, "login", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def rows():
    return Thread.objects.count(), Post.objects.count()


def error_of(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


@pytest.fixture
def category():
    return factories.category("Deals", slug="deals")


@pytest.fixture
def token_member():
    """A member who signed up through allauth's headless app API; their session token."""
    client = Client()
    response = allauth_app(
        client,
        "signup",
        {"username": "newbie", "email": "newbie@example.com", "password": "a-long-Pass-phrase-42"},
    )
    assert response.status_code == 200, response.content
    token = response.json()["meta"]["session_token"]
    assert token
    return token


@pytest.fixture
def auth(token_member):
    return {"X-Session-Token": token_member}


# --- Reading ------------------------------------------------------------------------------------


def test_categories_are_listed(client):
    deals = factories.category("Deals", slug="deals", commerce_enabled=True, position=1)
    chat = factories.category("Chat", slug="chat", position=0)
    response = get(client, "/categories")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    assert [(c["id"], c["slug"], c["name"], c["commerce_enabled"]) for c in data["items"]] == [
        (chat.pk, "chat", "Chat", False),
        (deals.pk, "deals", "Deals", True),
    ]


def test_threads_are_listed_pinned_first_and_without_deleted_ones(client, category):
    old = factories.thread(category_=category, title="Old news")
    pinned = factories.thread(category_=category, title="Read me first", pinned=True)
    recent = factories.thread(category_=category, title="Fresh deal")
    gone = factories.thread(category_=category, title="Spam")
    moderation.delete_thread(actor=factories.moderator(), thread=gone)
    Thread.objects.filter(pk=old.pk).update(last_activity_at=old.last_activity_at.replace(year=2020))
    Thread.objects.filter(pk=pinned.pk).update(last_activity_at=old.last_activity_at.replace(year=2019))

    response = get(client, "/threads")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    assert [t["id"] for t in data["items"]] == [pinned.pk, recent.pk, old.pk]
    first = data["items"][0]
    assert first["title"] == "Read me first"
    assert first["pinned"] is True
    assert first["locked"] is False
    assert first["category"] == category.pk
    assert first["author"] == pinned.author.username
    assert first["reply_count"] == 0
    assert first["offers"] == []
    assert first["url"].startswith("http://testserver/t/")


@pytest.mark.parametrize("by", ["slug", "id"])
def test_threads_can_be_filtered_by_category(client, category, by):
    mine = factories.thread(category_=category, title="In deals")
    factories.thread(category_=factories.category("Chat", slug="chat"), title="In chat")
    value = category.slug if by == "slug" else category.pk
    data = get(client, f"/threads?category={value}").json()
    assert data["count"] == 1
    assert [t["id"] for t in data["items"]] == [mine.pk]


def test_one_thread_with_its_posts(client, category):
    thread = factories.thread(category_=category, title="Tea", body="Green **tea**")
    reply = factories.post(thread_=thread, body="Count me *in*", bump=True)
    response = get(client, f"/threads/{thread.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == thread.pk
    assert data["title"] == "Tea"
    assert data["offers"] == []
    assert data["reply_count"] == 1
    assert [p["id"] for p in data["posts"]] == [thread.posts.order_by("id").first().pk, reply.pk]
    assert "<strong>tea</strong>" in data["posts"][0]["html"]
    assert data["posts"][1]["html"] == reply.html
    assert data["posts"][1]["author"] == reply.author.username


def test_deleted_posts_are_not_shown_to_visitors(client, category):
    thread = factories.thread(category_=category)
    gone = factories.post(thread_=thread, body="rude words")
    moderation.delete_post(actor=factories.moderator(), post=gone)
    data = get(client, f"/threads/{thread.pk}").json()
    assert gone.pk not in [p["id"] for p in data["posts"]]


def test_threads_are_paged(client, settings, category):
    settings.FORUM_THREADS_PER_PAGE = 2
    threads = [factories.thread(category_=category, title=f"Thread {n}") for n in range(3)]
    first_page = get(client, "/threads").json()
    second_page = get(client, "/threads?page=2").json()
    assert first_page["count"] == second_page["count"] == 3
    assert len(first_page["items"]) == 2
    assert [t["id"] for t in second_page["items"]] == [threads[0].pk]


def test_moderator_with_a_session_cookie_sees_a_deleted_thread(client, category):
    thread = factories.thread(category_=category)
    mod = factories.moderator()
    moderation.delete_thread(actor=mod, thread=thread)
    client.force_login(mod)
    assert get(client, f"/threads/{thread.pk}").status_code == 200
    assert thread.pk in [t["id"] for t in get(client, "/threads").json()["items"]]


def test_moderator_with_a_session_token_sees_a_deleted_thread(client, category):
    thread = factories.thread(category_=category)
    mod = factories.moderator("modtoken")
    moderation.delete_thread(actor=mod, thread=thread)
    token = login_token(Client(), "modtoken")
    assert get(client, f"/threads/{thread.pk}", **{"X-Session-Token": token}).status_code == 200


def test_missing_thread_is_404(client):
    error_of(get(client, "/threads/999999"), 404, "not_found")


def test_deleted_thread_is_404_for_visitors(client, category):
    thread = factories.thread(category_=category)
    moderation.delete_thread(actor=factories.moderator(), thread=thread)
    error_of(get(client, f"/threads/{thread.pk}"), 404, "not_found")


def test_openapi_schema_is_served(client):
    response = get(client, "/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/threads" in schema["paths"]
    assert "/api/v1/threads/{thread_id}/posts" in schema["paths"]


# --- Authentication -----------------------------------------------------------------------------


def test_visitors_cannot_start_threads_or_reply(client, category):
    thread = factories.thread(category_=category)
    before = rows()
    error_of(
        post_json(client, "/threads", {"category": "deals", "title": "Hi there", "body": "x"}), 401, "not_authenticated"
    )
    error_of(post_json(client, f"/threads/{thread.pk}/posts", {"body": "x"}), 401, "not_authenticated")
    assert rows() == before


def test_a_bad_session_token_is_not_authenticated(client, category):
    response = post_json(
        client, "/threads", {"category": "deals", "title": "Hi there", "body": "x"}, **{"X-Session-Token": "nope"}
    )
    error_of(response, 401, "not_authenticated")
    assert Thread.objects.count() == 0


def test_member_signed_up_through_the_app_api_starts_a_thread(client, flood_off, category, auth):
    response = post_json(
        client, "/threads", {"category": "deals", "title": "  My first deal ", "body": "**Hi**"}, **auth
    )
    assert response.status_code == 201, response.content
    data = response.json()
    thread = Thread.objects.get(pk=data["id"])
    assert thread.title == "My first deal"
    assert thread.author.username == "newbie"
    assert data["title"] == "My first deal"
    assert data["author"] == "newbie"
    assert data["category"] == category.pk
    assert [p["id"] for p in data["posts"]] == [thread.posts.get().pk]
    assert "<strong>Hi</strong>" in data["posts"][0]["html"]


def test_member_logged_in_through_the_app_api_replies(client, flood_off, category):
    member = factories.user("carol")
    token = login_token(client, "carol")
    thread = factories.thread(category_=category)

    response = post_json(client, f"/threads/{thread.pk}/posts", {"body": "Me too"}, **{"X-Session-Token": token})
    assert response.status_code == 201, response.content
    data = response.json()
    post = Post.objects.get(pk=data["id"])
    assert post.author == member
    assert post.thread == thread
    assert data["author"] == "carol"
    assert data["thread"] == thread.pk
    assert data["html"] == post.html
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_session_cookie_works_too(client, flood_off, category):
    member = factories.user()
    client.force_login(member)
    response = post_json(client, "/threads", {"category": category.pk, "title": "By cookie", "body": "hello"})
    assert response.status_code == 201, response.content
    assert Thread.objects.get(pk=response.json()["id"]).author == member


@pytest.mark.parametrize("value", ["id", "id_as_string", "slug"])
def test_category_may_be_given_as_id_or_slug(client, flood_off, category, value):
    client.force_login(factories.user())
    given = {"id": category.pk, "id_as_string": str(category.pk), "slug": category.slug}[value]
    response = post_json(client, "/threads", {"category": given, "title": "Somewhere", "body": "x"})
    assert response.status_code == 201, response.content
    assert Thread.objects.get(pk=response.json()["id"]).category == category


# --- Rejected writes ---------------------------------------------------------------------------


BAD_THREADS = [
    pytest.param({"category": "deals", "title": "", "body": "x"}, "title", id="empty_title"),
    pytest.param({"category": "deals", "title": "ab", "body": "x"}, "title", id="short_title"),
    pytest.param({"category": "deals", "title": "t" * (limits.TITLE_MAX + 1), "body": "x"}, "title", id="long_title"),
    pytest.param({"category": "deals", "title": "Fine title", "body": "   "}, "body", id="empty_body"),
    pytest.param(
        {"category": "deals", "title": "Fine title", "body": "b" * (limits.BODY_MAX + 1)}, "body", id="long_body"
    ),
    pytest.param({"category": "nowhere", "title": "Fine title", "body": "x"}, "category", id="unknown_category"),
    pytest.param({"category": 987654, "title": "Fine title", "body": "x"}, "category", id="unknown_category_id"),
    pytest.param({"category": "deals", "body": "x"}, "title", id="missing_title"),
    pytest.param({"title": "Fine title", "body": "x"}, "category", id="missing_category"),
    pytest.param({"category": "deals", "title": ["a", "b"], "body": "x"}, "title", id="title_not_a_string"),
    pytest.param({"category": "deals", "title": "Fine title"}, "body", id="missing_body"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_THREADS)
def test_invalid_thread_is_400_with_the_field(client, flood_off, category, auth, payload, field):
    before = rows()
    body = error_of(post_json(client, "/threads", payload, **auth), 400, "invalid")
    assert field in body["fields"], body
    assert body["fields"][field] and all(isinstance(m, str) for m in body["fields"][field])
    assert rows() == before


@pytest.mark.parametrize("raw", ["not json", "{", b"\xff\xfe", "[1, 2]", '"just a string"'])
def test_non_json_body_is_400(client, flood_off, category, auth, raw):
    before = rows()
    error_of(post_json(client, "/threads", raw, **auth), 400, "invalid")
    assert rows() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"body": ""}, "body", id="empty"),
        pytest.param({"body": " \n "}, "body", id="blank"),
        pytest.param({"body": "b" * (limits.BODY_MAX + 1)}, "body", id="too_long"),
        pytest.param({}, "body", id="missing"),
    ],
)
def test_invalid_reply_is_400(client, flood_off, category, auth, payload, field):
    thread = factories.thread(category_=category)
    before = rows()
    body = error_of(post_json(client, f"/threads/{thread.pk}/posts", payload, **auth), 400, "invalid")
    assert field in body["fields"]
    assert rows() == before


def test_reply_to_a_missing_thread_is_404(client, flood_off, auth):
    error_of(post_json(client, "/threads/999999/posts", {"body": "hello"}, **auth), 404, "not_found")
    assert rows() == (0, 0)


def test_reply_to_a_deleted_thread_is_404_for_members(client, flood_off, category, auth):
    thread = factories.thread(category_=category)
    moderation.delete_thread(actor=factories.moderator(), thread=thread)
    before = rows()
    error_of(post_json(client, f"/threads/{thread.pk}/posts", {"body": "hello"}, **auth), 404, "not_found")
    assert rows() == before


def test_reply_in_a_locked_thread_is_403(client, flood_off, category, auth):
    thread = factories.thread(category_=category, locked=True, locked_reason="Sale ended")
    before = rows()
    body = error_of(post_json(client, f"/threads/{thread.pk}/posts", {"body": "wait"}, **auth), 403, "thread_locked")
    assert "Sale ended" in body["message"]
    assert rows() == before


def test_moderator_replies_in_a_locked_thread(client, flood_off, category):
    thread = factories.thread(category_=category, locked=True)
    client.force_login(factories.moderator())
    response = post_json(client, f"/threads/{thread.pk}/posts", {"body": "Closing note"})
    assert response.status_code == 201, response.content


def test_starting_a_thread_in_a_moderators_only_category_is_403(client, flood_off, auth):
    factories.category("News", slug="news", who_can_start=Category.StartPolicy.MODERATORS)
    before = rows()
    error_of(
        post_json(client, "/threads", {"category": "news", "title": "My news", "body": "x"}, **auth),
        403,
        "category_closed",
    )
    assert rows() == before


def test_flood_control_is_429_with_retry_after(client, settings, category, auth):
    settings.FORUM_FLOOD_SECONDS = 10
    settings.FORUM_NEW_MEMBER_FLOOD_SECONDS = 60
    settings.FORUM_NEW_MEMBER_DAYS = 2
    first = post_json(client, "/threads", {"category": "deals", "title": "First one", "body": "x"}, **auth)
    assert first.status_code == 201, first.content
    thread_id = first.json()["id"]
    before = rows()

    response = post_json(client, f"/threads/{thread_id}/posts", {"body": "again"}, **auth)
    error_of(response, 429, "flood_control")
    # a member who just signed up waits the new-member interval
    assert 10 < int(response["Retry-After"]) <= 60
    again = post_json(client, "/threads", {"category": "deals", "title": "Second one", "body": "x"}, **auth)
    error_of(again, 429, "flood_control")
    assert int(again["Retry-After"]) > 0
    assert rows() == before
