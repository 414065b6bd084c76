"""The page pieces any forum's templates can call ({% load commerce %}): a thread's offer
panel, a page of threads' badges and a page of authors' merchant badges in one query each,
the profile's shop panel, the "Add an offer" link, a member's link. The bundled forum's
pages show the same pieces through its extension registry."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community_commerce.adapters import get_adapter
from community_commerce.models import ThreadViewer
from community_commerce.services import stats
from tests import factories as f

pytestmark = pytest.mark.django_db


def render(source, user=None, **context):
    request = RequestFactory().get("/somewhere")
    request.user = user or AnonymousUser()
    request.session = {}
    return Template("{% load commerce %}" + source).render(Context({"request": request, **context}))


def rendered_with_queries(source, user=None, **context):
    request = RequestFactory().get("/somewhere")
    request.user = user or AnonymousUser()
    template = Template("{% load commerce %}" + source)
    with CaptureQueriesContext(connection) as queries:
        html = template.render(Context({"request": request, **context}))
    return html, len(queries.captured_queries)


def badges(html):
    return re.findall(r'<span class="badge ([^"]*)">([^<]*)</span>', html)


@pytest.fixture
def shop(db):
    return f.merchant(f.user("grocer"), display_name="Corner Grocer")


@pytest.fixture
def deals(db):
    return f.category("Deals", commerce_enabled=True)


def test_the_offer_panel_takes_the_forum_s_thread_its_id_or_a_thread_ref(shop, deals):
    thread = f.commerce_thread(shop, category_=deals)
    offer = f.offer("flash_sale", merchant_=shop, thread_=thread, title="Tea tins")
    ref = get_adapter().get_thread(thread.pk)
    panels = [render("{% commerce_offer_panel t %}", t=value) for value in (thread, thread.pk, str(thread.pk), ref)]
    for html in panels:
        assert 'class="offers-panel"' in html and f'id="offer-{offer.pk}"' in html and "Tea tins" in html
    assert render("{% commerce_offer_panel t %}", t=f.thread().pk) == ""  # no offers, not the author: nothing


def test_a_page_of_threads_gets_its_badges_in_one_query_whatever_its_length(shop, deals):
    def page(n):
        threads = []
        for i in range(n):
            thread = f.commerce_thread(shop, category_=deals, title=f"Deal {i}")
            f.offer(["flash_sale", "group_buy", "dutch_auction"][i % 3], merchant_=shop, thread_=thread)
            threads.append(thread)
        threads.append(f.thread())  # one without offers
        return threads

    source = "{% commerce_preload_thread_badges threads %}{% for t in threads %}<li>{% commerce_thread_badges t %}</li>{% endfor %}"
    few_html, few = rendered_with_queries(source, threads=page(2))
    many_html, many = rendered_with_queries(source, threads=page(9))
    assert (few, many) == (1, 1)
    assert len(badges(many_html)) == 9 and many_html.endswith("<li></li>")
    assert badges(few_html)[0] == ("offer-badge offer-badge-live offer-badge-flash_sale", "Flash sale · 10 left")


def test_a_row_without_a_preload_still_shows_its_badges(shop, deals):
    thread = f.commerce_thread(shop, category_=deals)
    f.offer("flash_sale", merchant_=shop, thread_=thread, stock=7)
    assert badges(render("{% commerce_thread_badges t %}", t=thread)) == [
        ("offer-badge offer-badge-live offer-badge-flash_sale", "Flash sale · 7 left")
    ]


def test_the_bundled_forum_s_listing_shows_the_badges_the_tags_render(shop, deals):
    thread = f.commerce_thread(shop, category_=deals)
    f.offer("group_buy", merchant_=shop, thread_=thread)
    tag = badges(render("{% commerce_thread_badges t %}", t=thread))
    page = Client().get(deals.get_absolute_url()).content.decode()
    assert tag and [b for b in badges(page) if b[0].startswith("offer-badge")] == tag


def test_the_authors_of_a_page_of_posts_get_their_merchant_badges_in_one_query(shop):
    suspended = f.merchant(f.user("gone"), status="suspended")
    thread = f.thread()
    posts = [f.post(thread_=thread, author=author) for author in (shop.user, f.user(), suspended.user, shop.user)]
    posts.append(f.post(thread_=thread, author=None))
    source = (
        '{% commerce_preload_merchant_badges posts "author_id" %}'
        "{% for p in posts %}<p>{% commerce_merchant_badge p.author_id %}</p>{% endfor %}"
    )
    html, queries = rendered_with_queries(source, posts=posts)
    assert queries == 1
    assert re.findall(r"<p>(.*?)</p>", html) == [
        '<span class="badge merchant">Merchant: Corner Grocer</span>',
        "",
        "",
        '<span class="badge merchant">Merchant: Corner Grocer</span>',
        "",
    ]


def test_the_profile_panel_shows_the_shop_and_for_oneself_the_way_to_sell(shop):
    member = f.user("newcomer")
    assert "Corner Grocer" in render("{% commerce_profile_panel m %}", m=shop.user)
    assert render("{% commerce_profile_panel m %}", m=member) == ""  # a stranger's profile without a shop
    own = render("{% commerce_profile_panel m %}", user=member, m=member)
    assert reverse("community_commerce:merchant_apply") in own


def test_the_attach_link_is_for_the_thread_s_author_when_they_may_sell_there(shop, deals):
    thread = f.commerce_thread(shop, category_=deals)
    link = render("{% commerce_attach_offer_link t %}", user=shop.user, t=thread)
    assert f'href="{reverse("community_commerce:new_offer")}?thread={thread.pk}"' in link
    assert render("{% commerce_attach_offer_link t %}", user=f.user(), t=thread) == ""
    assert render("{% commerce_attach_offer_link t %}", t=thread) == ""
    chat = f.commerce_thread(shop, category_=f.category(commerce_enabled=False))
    assert render("{% commerce_attach_offer_link t %}", user=shop.user, t=chat) == ""


def test_a_member_link_goes_to_the_forum_s_profile():
    member = f.user("lin")
    assert render("{% commerce_member_link m %}", m=member) == (
        f'<a class="member" href="{reverse("forum:profile", args=["lin"])}">lin</a>'
    )
    assert render("{% commerce_member_link m %}", m=None) == '<span class="member member-deleted">deleted member</span>'


def test_the_offer_panel_counts_the_page_view_once_whatever_else_reports_it(shop, deals):
    thread = f.commerce_thread(shop, category_=deals)
    offer = f.offer("flash_sale", merchant_=shop, thread_=thread)
    request = RequestFactory().get("/somewhere")
    request.user = f.user("reader")
    Template("{% load commerce %}{% commerce_offer_panel t %}{% commerce_offer_panel t %}").render(
        Context({"request": request, "t": thread})
    )
    stats.thread_view_listener(request, get_adapter().get_thread(thread.pk))  # a forum's own view hook too
    assert stats.offer_funnels([offer])[offer.pk]["views"] == 1
    assert list(ThreadViewer.objects.values_list("thread_id", "viewer")) == [(thread.pk, f"m:{request.user.pk}")]
