"""forum.services.search.search_posts, on SQLite (substring) and PostgreSQL (full text, "simple")."""

import pytest
from django.contrib.auth.models import AnonymousUser

from forum.models import Post
from forum.services import moderation
from forum.services.search import search_posts
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def forum():
    """Three threads whose posts share no search words unless said so."""
    kitchen = factories.thread(title="Kitchen gear swap", body="Bring what you no longer use")
    teapot = factories.post(thread_=kitchen, body="A ceramic teapot, barely used")
    kettle = factories.post(thread_=kitchen, body="An electric kettle with a long cord")
    porcelain = factories.thread(title="Porcelain group buy", body="Minimum order is ten sets")
    garden = factories.thread(title="Garden tools", body="Selling a rake and a ceramic pot")
    return {
        "kitchen": kitchen,
        "teapot": teapot,
        "kettle": kettle,
        "porcelain": porcelain,
        "porcelain_first": porcelain.posts.get(),
        "garden_first": garden.posts.get(),
    }


@pytest.fixture
def member():
    return factories.user()


def found(user, query):
    return set(search_posts(user=user, query=query))


def test_finds_a_post_by_a_word_in_its_body(forum, member):
    assert found(member, "teapot") == {forum["teapot"]}


def test_search_ignores_case(forum, member):
    assert found(member, "TeaPot") == {forum["teapot"]}


def test_finds_a_thread_by_a_word_in_its_title(forum, member):
    results = found(member, "porcelain")
    assert forum["porcelain_first"] in results
    assert results <= set(forum["porcelain"].posts.all())


def test_a_word_shared_by_several_posts_finds_them_all(forum, member):
    assert found(member, "ceramic") == {forum["teapot"], forum["garden_first"]}


def test_title_and_body_words_combine(forum, member):
    assert forum["porcelain_first"] in found(member, "porcelain order")


def test_every_word_is_required(forum, member):
    assert found(member, "ceramic teapot") == {forum["teapot"]}
    assert found(member, "ceramic kettle") == set()
    assert found(member, "teapot nowhere") == set()


def test_unknown_word_finds_nothing(forum, member):
    assert found(member, "zeppelin") == set()


@pytest.mark.parametrize("query", ["", "   ", "\n\t", None])
def test_empty_query_finds_nothing(forum, member, query):
    assert found(member, query) == set()


def test_visitors_can_search(forum):
    assert found(AnonymousUser(), "kettle") == {forum["kettle"]}


def test_deleted_posts_are_hidden_from_members_but_not_moderators(forum, member):
    mod = factories.moderator()
    moderation.delete_post(actor=mod, post=forum["teapot"])
    assert found(member, "teapot") == set()
    assert found(AnonymousUser(), "teapot") == set()
    assert found(mod, "teapot") == {forum["teapot"]}


def test_posts_in_deleted_threads_are_hidden_from_members_but_not_moderators(forum, member):
    mod = factories.moderator()
    moderation.delete_thread(actor=mod, thread=forum["kitchen"])
    assert found(member, "kettle") == set()
    assert found(member, "ceramic") == {forum["garden_first"]}
    assert found(mod, "kettle") == {forum["kettle"]}


def test_thread_events_are_not_search_results(forum, member):
    event = Post.objects.create(
        thread=forum["kitchen"], kind=Post.Kind.EVENT, body="Offer opened: teapot deal", html="<p>x</p>"
    )
    results = found(member, "teapot")
    assert event not in results
    assert results == {forum["teapot"]}
