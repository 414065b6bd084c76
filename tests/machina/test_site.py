"""The commerce plugin on the django-machina example site, through machina's own pages and
the plugin's template overrides: the card on a deals topic, badges in topic lists and beside
post authors, the shop on a profile, a claim through the card's form, the query cost of a
topic page, topics machina deletes, languages, and the demo data of `make run-machina`."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from machina.core.db.models import get_model

import community_commerce
from community_commerce.adapters import get_adapter
from community_commerce.models import Claim, Dispute, MemberLanguage, Notice, Offer, Rating
from community_commerce.services import post_offer
from community_commerce.services.claim import claim
from examples.machina_site import machina_locale

pytestmark = pytest.mark.django_db
Forum = get_model("forum", "Forum")
Topic = get_model("forum_conversation", "Topic")
Post = get_model("forum_conversation", "Post")
ZH = "zh-hans"


@pytest.fixture(autouse=True)
def _language_restored():
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate()


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return unescape(response.content.decode())


def offer_in(topic_id, seller, kind="group_buy", title="Apple boxes", **changes):
    now = timezone.now()
    terms = {
        "group_buy": {"unit_price": "19.90", "min_quantity": 3},
        "flash_sale": {"unit_price": "9.90", "reservation_minutes": 15},
        "dutch_auction": {"start_price": "40.00", "floor_price": "15.00", "step": "1.00", "step_seconds": 60},
    }[kind]
    fields = {
        "kind": kind, "title": title, "description": "", "currency": "EUR", "starts_at": now - timedelta(minutes=1),
        "ends_at": now + timedelta(days=1), "stock": None if kind == "group_buy" else 10, "per_user_limit": None,
        "terms": terms, **changes,
    }  # fmt: skip
    return post_offer.create_offer(user=seller, thread_id=topic_id, **fields)


def topic_of(topic_id):
    return Topic.objects.select_related("forum").get(pk=topic_id)


def reply(topic_id, poster, content="Count me in"):
    topic = topic_of(topic_id)
    return Post.objects.create(topic=topic, poster=poster, subject=f"Re: {topic.subject}", content=content)


def topic_page(client, topic_id, **params):
    return client.get(get_adapter().thread_url(topic_id), params)


# --- what a deals topic and a forum page show ----------------------------------------------------


def test_a_deals_topic_shows_the_card_and_the_merchant_s_badge_beside_their_posts_only(machina, deals, grocer):
    topic = machina.thread(author=grocer, category_id=deals, title="Apples together")
    neighbour = machina.member("neighbour")
    reply(topic, neighbour)
    offer = offer_in(topic, grocer)
    html = text(topic_page(Client(), topic))
    assert html.count('class="offers-panel"') == 1 and f'id="offer-{offer.pk}"' in html
    assert html.index('class="offers-panel"') < html.index("<h1>Apples together</h1>")  # the card tops the topic
    sidebars = re.findall(
        r'<div class="col-md-2 d-none d-md-block post-sidebar">(.*?)<div class="username">', html, re.S
    )
    assert ["Merchant: Corner Grocer" in s for s in sidebars] == [True, False]  # the grocer's post, the neighbour's
    assert "community_commerce/machina.css" in html and "htmx" in html


def test_a_forum_page_shows_each_topic_s_offer_badges_in_one_query(machina, deals, grocer):
    topics = [machina.thread(author=grocer, category_id=deals, title=f"Deal {i}") for i in range(3)]
    offer_in(topics[0], grocer, kind="flash_sale", title="Tea")
    offer_in(topics[2], grocer, kind="group_buy", title="Rice")
    Topic.objects.filter(pk=topics[1]).update(type=Topic.TOPIC_ANNOUNCE)
    forum = Forum.objects.get(pk=deals)
    url = reverse("forum:forum", kwargs={"slug": forum.slug, "pk": forum.pk})
    client = Client()
    html = text(client.get(url))
    rows = re.findall(r'topic-name-link">([^<]+)</a>', html)
    badges = re.findall(r'<span class="cc cc-badges">(.*?)</span><span class="cc-topic-pages">', html, re.S)
    assert dict(zip(rows, badges, strict=True)) == {
        "Deal 1": "",
        "Deal 0": '<span class="badge offer-badge offer-badge-live offer-badge-flash_sale">Flash sale · 10 left</span>',
        "Deal 2": '<span class="badge offer-badge offer-badge-live offer-badge-group_buy">Group-buy 0/3 · 23 h left</span>',
    }  # the announcement (Deal 1) in its own list, above
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    offer_queries = [q for q in ctx.captured_queries if "community_commerce_offer" in q["sql"]]
    assert len(offer_queries) == 1  # announcements and topics together


def test_a_member_s_profile_shows_their_shop(machina, grocer):
    html = text(Client().get(reverse("forum_member:profile", kwargs={"pk": grocer.pk})))
    assert "Corner Grocer" in html and 'class="card profile-shop"' in html
    member = machina.member("neighbour")
    own = Client()
    own.force_login(member)
    assert "Apply to sell" in text(own.get(reverse("forum_member:profile", kwargs={"pk": member.pk})))


# --- a member claims through the card ---------------------------------------------------------------


def test_a_member_joins_the_group_buy_through_the_card_s_form_and_sees_it_on_the_card(machina, deals, grocer):
    topic = machina.thread(author=grocer, category_id=deals, title="Apples together")
    offer = offer_in(topic, grocer)
    member = Client()
    member.force_login(machina.member("neighbour"))
    page = topic_page(member, topic).content.decode()
    form = re.search(rf'<form method="post" action="([^"]+)" class="offer-claim" id="offer-{offer.pk}-claim"', page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = member.post(unescape(form.group(1)), {"quantity": "2", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == offer.get_absolute_url()
    assert list(Claim.objects.filter(offer=offer).values_list("buyer__username", "quantity")) == [("neighbour", 2)]
    card = " ".join(strip_tags(text(member.get(response["Location"]))).split())
    assert "2 of 3 units committed" in card and "Your claims 2 × €19.90" in card


# --- the query cost of a topic page --------------------------------------------------------------


def _queries(client, topic_id) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert topic_page(client, topic_id).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("reader", ["visitor", "member"])
def test_the_plugin_adds_at_most_two_queries_to_a_topic_page_whatever_its_posts_and_offers(
    machina, deals, grocer, reader, settings
):
    client = Client()
    if reader == "member":
        member = machina.member("reader")
        client.force_login(member)
    small = machina.thread(author=grocer, category_id=deals, title="One post, one offer")
    offer_in(small, grocer)
    big = machina.thread(author=grocer, category_id=deals, title="Many posts, three offers")
    others = [machina.member(f"neighbour{i}") for i in range(4)]
    for i in range(11):
        reply(big, others[i % 4] if i % 3 else grocer)
    for kind in ("group_buy", "flash_sale", "dutch_auction"):
        offer = offer_in(big, grocer, kind=kind, title=kind)
        if reader == "member" and kind != "dutch_auction":
            claim(offer_id=offer.pk, buyer=member, quantity=1)
    with_plugin = settings.TEMPLATES
    without = [
        {**with_plugin[0], "DIRS": [d for d in with_plugin[0]["DIRS"] if d != community_commerce.MACHINA_TEMPLATE_DIR]}
    ]
    # Pages seen before, by both: a day's first views write (the plugin's viewer row,
    # machina's read tracking); a visitor's first view is counted by address, the next by
    # the session machina gives.
    for templates in (with_plugin, without, with_plugin):
        settings.TEMPLATES = templates
        for topic in (small, big, small, big):
            topic_page(client, topic)
    cost = {}
    for name, templates in (("plugin", with_plugin), ("machina", without)):
        settings.TEMPLATES = templates
        assert ("offer-card" in text(topic_page(client, big))) is (name == "plugin")
        cost[name] = {"small": _queries(client, small), "big": _queries(client, big)}
    added = {size: cost["plugin"][size] - cost["machina"][size] for size in ("small", "big")}
    assert added["small"] == added["big"] <= 2, cost


# --- topics machina deletes ----------------------------------------------------------------------


def test_a_forum_machina_deletes_takes_its_topics_and_their_offers_end_and_buyers_are_told_in_their_language(
    machina, deals, grocer, django_capture_on_commit_callbacks
):
    topic = machina.thread(author=grocer, category_id=deals, title="Apples together")
    offer = offer_in(topic, grocer, title="Rice sacks")
    buyer = machina.member("lin", email="lin@example.org")
    machina.set_language(buyer, ZH)
    claim(offer_id=offer.pk, buyer=buyer, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        Forum.objects.get(pk=deals).parent.delete()  # the category and every forum below it (mptt)
    assert not Topic.objects.filter(pk=topic).exists()
    offer.refresh_from_db()
    assert (offer.status, offer.cancel_reason) == ("cancelled", "The thread was deleted.")
    assert Claim.objects.get(buyer=buyer).status == Claim.Status.RELEASED
    assert Notice.objects.filter(recipient=buyer, kind="offer_cancelled").count() == 1
    (email,) = [m for m in mail.outbox if m.to == ["lin@example.org"]]
    assert email.subject == "“Rice sacks”已取消：该帖子已被删除。"
    assert Client().get(offer.get_absolute_url()).status_code == 404


# --- languages -------------------------------------------------------------------------------------


def test_machina_and_the_plugin_read_in_chinese(machina, deals, grocer):
    topic = machina.thread(author=grocer, category_id=deals, title="Apples together")
    offer_in(topic, grocer)
    forum = Forum.objects.get(pk=deals)
    reader = Client(HTTP_ACCEPT_LANGUAGE=ZH)
    listing = text(reader.get(reverse("forum:forum", kwargs={"slug": forum.slug, "pk": forum.pk})))
    assert "话题" in listing and ">Topics<" not in listing  # machina's own words: its zh_CN catalogue as zh_Hans
    page = text(topic_page(reader, topic))
    assert "团购" in page and "Group-buy" not in page  # the plugin's card


def test_the_committed_machina_catalogue_is_the_installed_machina_s_zh_cn_compiled():
    assert machina_locale.TARGET.read_bytes() == machina_locale.compiled(), (
        "run: python -m examples.machina_site.machina_locale"
    )


def test_the_language_form_keeps_a_member_s_choice_for_the_plugin_s_emails(machina):
    member = machina.member("lin")
    client = Client()
    client.force_login(member)
    response = client.post(reverse("set_language"), {"language": ZH, "next": "/"})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == ZH
    assert MemberLanguage.objects.get(user=member).language == ZH
    assert get_adapter().member_language([member.pk]) == {member.pk: ZH}
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})  # not a language of the site
    assert get_adapter().member_language([member.pk]) == {member.pk: ZH}
    Client().post(reverse("set_language"), {"language": "en", "next": "/"})  # a visitor: nobody to remember
    assert MemberLanguage.objects.count() == 1


# --- which forums take offers ------------------------------------------------------------------------


def test_the_deals_forums_setting_takes_ids_and_slugs_with_every_forum_below_them(machina, settings):
    top = Forum.objects.create(name="Shops", type=Forum.FORUM_CAT)
    middle = Forum.objects.create(name="Food", type=Forum.FORUM_POST, parent=top)
    bottom = Forum.objects.create(name="Bakeries", type=Forum.FORUM_POST, parent=middle)
    other = Forum.objects.create(name="Chat", type=Forum.FORUM_POST)
    enabled = get_adapter().commerce_enabled

    def takes(*chosen):
        settings.COMMUNITY_COMMERCE_MACHINA_DEALS_FORUMS = list(chosen)
        return [f.name for f in (top, middle, bottom, other) if enabled(f.pk)]

    assert takes("shops") == ["Shops", "Food", "Bakeries"]
    assert takes(middle.pk) == ["Food", "Bakeries"]
    assert takes(str(bottom.pk), "chat") == ["Bakeries", "Chat"]
    assert takes() == []
    assert enabled(None) is False


# --- the plugin's own pages in the site's layout ---------------------------------------------------


def test_the_merchant_adds_an_offer_from_the_topic_with_the_plugin_s_form(machina, deals, grocer):
    topic = machina.thread(author=grocer, category_id=deals, title="Pumpkins")
    client = Client()
    client.force_login(grocer)
    page = text(topic_page(client, topic))
    link = re.search(r'<a class="btn btn-primary btn-small offer-attach-link" href="([^"]+)"', page).group(1)
    form = text(client.get(link))
    assert "Neighbourhood forum" in form and 'class="cc cc-page"' in form  # machina's frame around the plugin's page
    now = timezone.localtime()
    response = client.post(link, {
        "kind": "dutch_auction", "title": "Pumpkin crate", "currency": "EUR", "stock": "8",
        "starts_at": now.strftime("%Y-%m-%dT%H:%M"), "ends_at": (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "start_price": "40.00", "floor_price": "15.00", "step": "1.00", "step_seconds": "60", "reservation_minutes": "15",
    })  # fmt: skip
    offer = Offer.objects.get(thread_id=topic)
    assert (response.status_code, response["Location"]) == (302, offer.get_absolute_url())
    for name in ("community_commerce:my_orders", "community_commerce:notices", "community_commerce:merchant_dashboard"):
        assert "Neighbourhood forum" in text(client.get(reverse(name)))


# --- `make run-machina`'s demo data ---------------------------------------------------------------


def test_the_demo_data_is_a_forum_tree_with_live_deals_and_loads_again_without_doubling():
    from scripts.run_dev import SITES

    for _ in range(2):
        for command, *args in SITES["machina"].seeds:  # as `make run-machina` runs them
            call_command(command, *args, verbosity=0)
    deals = Forum.objects.get(slug="deals")
    assert deals.parent.name == "Neighbourhood" and get_adapter().commerce_enabled(deals.pk)
    offers = Offer.objects.select_related("merchant").filter(closed_at__isnull=True)
    assert sorted(offers.values_list("kind", "status")) == [
        ("dutch_auction", "live"),
        ("flash_sale", "live"),
        ("flash_sale", "live"),
        ("group_buy", "live"),
        ("lowest_unique", "live"),
        ("team_buy", "live"),
    ]  # fmt: skip  (the second flash sale: the honey sale with bob's rated order and open dispute)
    assert {(o.merchant.display_name, o.merchant.status) for o in offers} == {("Corner Greengrocer", "verified")}
    assert {Topic.objects.get(pk=o.thread_id).forum_id for o in offers} == {deals.pk}
    # a topic per live deal (the honey sale shares one), the games and the past sale (demo_history.py)
    assert Topic.objects.filter(forum=deals).count() == 7
    assert Offer.objects.filter(closed_at__isnull=False, title="Wildflower honey, 500 g jar").count() == 1
    assert Rating.objects.filter(buyer__username="bob").count() == 1
    assert Dispute.objects.filter(order__buyer__username="bob", status="open").count() == 1
    alice = Client()
    assert alice.login(username="alice", password="demo-pass-123")
    for offer in offers:
        assert offer.title in text(alice.get(offer.get_absolute_url()))
