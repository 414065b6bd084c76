"""The live offer card: the fragment a card polls (views/live.py), its short shared cache,
its countdown data, when polling stops, and the thread views counted for the funnel
(services/stats.py). Real database, real Redis; the clock is stopped, never slept on."""

import re
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community_commerce import display
from community_commerce.models import Offer, ThreadViewDay, ThreadViewer
from community_commerce.services import lifecycle, merchants, stats
from community_commerce.services.schedule import sweep
from community_commerce.views.live import live_cache_key
from tests import factories as f
from tests.commerce.test_pages import PAY_HOW, card, form_to, forms, logged_in, post, take, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    seller = f.user("seller")
    merchant = merchants.apply(
        user=seller, display_name="Corner Shop", contact="555-0100", payment_instructions=PAY_HOW
    )
    merchants.verify(merchant=merchant, actor=f.staff("staffer"), reason="known shop")
    return merchant


@pytest.fixture
def deals(shop):
    return f.commerce_thread(shop, category_=f.category("Deals", commerce_enabled=True), title="Corner shop deals")


def live_url(offer):
    return reverse("community_commerce:offer_live", args=[offer.pk])


def fragment(client, offer, **headers):
    response = client.get(live_url(offer), **headers)
    assert response.status_code in (200, 286)
    return response


def article(html):
    """The opening tag of the card: where its polling and clock attributes live."""
    return re.search(r"<article\b[^>]*>", html, flags=re.S).group(0)


def attr(tag, name):
    found = re.search(rf'\s{name}="([^"]*)"', tag)
    return found.group(1) if found else None


def parse_iso(value):
    return datetime.fromisoformat(value)


# --- the fragment: live numbers, the short shared cache --------------------------------------------


def test_the_fragment_shows_the_live_numbers_and_a_claim_after_the_cache_s_short_life(client, shop, deals, clock):
    offer = post(shop, deals, "group_buy", title="Apples, 5 kg box")
    take(offer, f.user(), 4)

    html = fragment(client, offer).content.decode()
    assert html.startswith(f'<article id="offer-{offer.pk}"')
    assert "4 of 10 units committed" in text(html) and "1 buyer" in text(html)
    assert "Price now €19.90" in text(html) and "26 more for €17.90 each" in text(html)
    assert re.search(r'<progress[^>]*max="10" value="4"', html)

    take(offer, f.user(), 3)
    clock.advance(seconds=1)  # within the shared part's life: the crowd is served from Redis
    assert "4 of 10 units committed" in text(fragment(client, offer).content.decode())

    clock.advance(seconds=2)  # the shared part is at most 2 s old
    html = fragment(client, offer).content.decode()
    assert "7 of 10 units committed" in text(html) and "2 buyers" in text(html)
    assert "23 more for €17.90 each" in text(html)


def test_polls_within_the_cache_s_life_cost_no_query_for_visitors_and_one_for_members(shop, deals, clock):
    offer = post(shop, deals, "flash_sale", stock=50)
    member = f.user("member")
    for _ in range(3):
        take(offer, member, 1)
    visitor, reader = Client(), logged_in(member)
    fragment(visitor, offer)  # fills the shared cache
    reader.get(live_url(offer))  # the session, once

    with CaptureQueriesContext(connection) as anonymous:
        fragment(visitor, offer)
    assert len(anonymous.captured_queries) == 0

    with CaptureQueriesContext(connection) as queries:
        html = fragment(reader, offer).content.decode()
    claim_queries = [q for q in queries.captured_queries if "community_commerce_claim" in q["sql"]]
    assert len(claim_queries) == 1  # the member's own claims, nothing else of ours
    assert not [q for q in queries.captured_queries if "community_commerce_offer" in q["sql"].split("WHERE")[0]]
    assert html.count("Order CC-") == 3


def test_the_shared_cache_never_carries_one_reader_s_claims_or_forms_to_another(shop, deals):
    offer = post(shop, deals, "group_buy", per_user_limit=5)
    ann, ben = f.user("ann"), f.user("ben")
    claim = take(offer, ann, 2)

    ann_html = fragment(logged_in(ann), offer).content.decode()  # fills the shared cache
    assert "Your claims" in ann_html and "2 × €19.90" in text(ann_html)
    form_to(ann_html, reverse("community_commerce:withdraw", args=[claim.pk]))
    join = form_to(ann_html, reverse("community_commerce:claim", args=[offer.pk]))
    assert join["inputs"]["quantity"]["max"] == "3"  # 5 allowed, 2 held
    assert join["fields"]["csrfmiddlewaretoken"]

    ben_html = fragment(logged_in(ben), offer).content.decode()  # served from the same cache entry
    assert "Your claims" not in ben_html and reverse("community_commerce:withdraw", args=[claim.pk]) not in ben_html
    assert form_to(ben_html, reverse("community_commerce:claim", args=[offer.pk]))["inputs"]["quantity"]["max"] == "5"

    visitor = fragment(Client(), offer).content.decode()
    assert forms(visitor) == [] and "Log in to join" in visitor

    merchant = fragment(logged_in(shop.user), offer).content.decode()
    assert form_to(merchant, reverse("community_commerce:cancel", args=[offer.pk]))
    assert not [x for x in forms(merchant) if x["action"] == reverse("community_commerce:claim", args=[offer.pk])]


def test_an_unknown_offer_is_404(client):
    assert client.get(reverse("community_commerce:offer_live", args=[987654])).status_code == 404


# --- polling: on while the offer runs, off when it is final ------------------------------------------


def test_a_live_card_polls_every_3_seconds_and_on_its_countdowns(client, shop, deals):
    offer = post(shop, deals, "flash_sale")
    for html in (card(client.get(deals.get_absolute_url()).content.decode(), offer), fragment(client, offer).content.decode()):  # fmt: skip
        tag = article(html)
        assert attr(tag, "hx-get") == live_url(offer)
        assert attr(tag, "hx-trigger").startswith("every 3s")
        assert "offer-due" in attr(tag, "hx-trigger")
        assert attr(tag, "hx-swap") == "outerHTML"


@pytest.mark.parametrize("ending", ["succeeded", "failed", "sold_out", "cancelled"])
def test_a_final_offer_s_fragment_stops_the_polling_and_shows_the_outcome(client, shop, deals, ending, clock):
    kind = "flash_sale" if ending == "sold_out" else "group_buy"
    offer = post(shop, deals, kind, lasts=timedelta(hours=1), stock=3 if kind == "flash_sale" else None)
    buyer = f.user()
    fragment(client, offer)  # a cached live state that must not outlive the close
    if ending == "succeeded":
        take(offer, buyer, 12)
    elif ending == "failed":
        take(offer, buyer, 4)
    elif ending == "sold_out":
        take(offer, buyer, 3)
    if ending == "cancelled":
        lifecycle.cancel_offer(offer_id=offer.pk, actor=shop.user, reason="Hail took the harvest")
    else:
        assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at + timedelta(seconds=1))
    assert cache.get(live_cache_key(offer.pk)) is not None
    clock.advance(seconds=2)  # the cached live state's life is over

    response = fragment(client, offer, HTTP_HX_REQUEST="true")
    assert response.status_code == 286  # htmx: stop polling
    html = response.content.decode()
    tag = article(html)
    assert attr(tag, "hx-trigger") is None and attr(tag, "hx-get") is None
    assert "data-countdown" not in html
    expected = {
        "succeeded": "Succeeded: 12 units at €19.90.",
        "failed": "Failed: 4 of 10 units committed.",
        "sold_out": "Ended, sold out: 3 units sold.",
        "cancelled": "Cancelled by the merchant. Reason: Hail took the harvest",
    }[ending]
    assert expected in text(html)
    assert fragment(client, offer).status_code == 200  # a plain request (no htmx) gets a plain 200

    page = card(client.get(deals.get_absolute_url()).content.decode(), offer)
    assert attr(article(page), "hx-trigger") is None and expected in text(page)


def test_a_scheduled_offer_polls_and_counts_down_to_its_start_then_opens(shop, deals, clock):
    starts = timezone.now() + timedelta(minutes=5)
    offer = post(shop, deals, "flash_sale", start=starts)
    member = logged_in(f.user())

    html = fragment(member, offer).content.decode()
    tag = article(html)
    assert attr(tag, "hx-trigger").startswith("every 3s")
    assert "Scheduled" in text(html) and "Starts in 5 minutes" in text(html)
    countdown = re.search(r'<span class="countdown" data-countdown data-target="([^"]+)">', html)
    assert parse_iso(countdown.group(1)) == starts
    assert form_to(html, reverse("community_commerce:remind", args=[offer.pk]))["buttons"] == ["Remind me"]

    clock.set(starts + timedelta(milliseconds=100))  # the start is a moment of change: no cache across it
    html = fragment(member, offer).content.decode()
    assert "Live" in text(html) and "Ends in" in text(html)
    assert form_to(html, reverse("community_commerce:claim", args=[offer.pk]))["buttons"] == ["Buy now"]


def test_a_dutch_auction_s_next_drop_is_a_countdown_and_the_cache_never_outlives_a_drop(client, shop, deals, clock):
    start = timezone.now() - timedelta(seconds=59)
    offer = post(shop, deals, "dutch_auction", start=start)
    html = fragment(client, offer).content.decode()
    assert "Price now €100.00" in text(html)
    assert "Next price €95.00 at" in text(html) and "next drop in 1 second" in text(html)
    drop = re.search(r'data-countdown="short" data-target="([^"]+)"', html).group(1)
    assert parse_iso(drop) == start + timedelta(seconds=60)

    clock.advance(seconds=1, milliseconds=100)  # well within 2 s, but past the drop
    assert "Price now €95.00" in text(fragment(client, offer).content.decode())


# --- the clock data: ISO times the script counts with ------------------------------------------------


def test_the_card_and_the_fragment_carry_the_server_s_time_and_the_targets_in_iso(client, shop, deals, clock):
    offer = post(shop, deals, "group_buy")
    page = client.get(deals.get_absolute_url()).content.decode()
    assert 'src="/static/community_commerce/offer.js" defer' in page
    for html in (card(page, offer), fragment(client, offer).content.decode()):
        server_now = attr(article(html), "data-server-now")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", server_now)
        assert parse_iso(server_now) == timezone.now()
        assert f'data-target="{display.iso(offer.ends_at)}"' in html
        assert "Ends in 23 hours, 59 minutes" in text(html)  # what a reader without JavaScript sees
        assert f'<time datetime="{timezone.localtime(offer.ends_at).isoformat()}"' in html


def test_the_countdown_words_are_given_to_the_script_in_the_reader_s_language(client, shop, deals):
    post(shop, deals, "flash_sale")
    page = client.get(deals.get_absolute_url()).content.decode()
    panel = re.search(r'<section class="offers-panel"[^>]*>', page, flags=re.S).group(0)
    assert attr(panel, "data-countdown-hours") == "{h} h {m} min"
    assert attr(panel, "data-countdown-now") == "now"


# --- thread views for the merchant's funnel ----------------------------------------------------------


def views_of(thread):
    return {row.day: row.views for row in ThreadViewDay.objects.filter(thread_id=thread.pk)}


def viewers_of(thread):
    return sorted(ThreadViewer.objects.filter(thread_id=thread.pk).values_list("day", "viewer"))


def test_thread_views_and_unique_viewers_are_counted_per_day(shop, deals, clock):
    post(shop, deals, "flash_sale")
    ann, ben = f.user("ann"), f.user("ben")
    today = timezone.localdate()
    for client, times in ((logged_in(ann), 3), (logged_in(ben), 1), (Client(), 2)):
        for _ in range(times):
            client.get(deals.get_absolute_url())
    for _ in range(4):
        logged_in(shop.user).get(deals.get_absolute_url())  # the merchant's own visits do not count

    viewers = viewers_of(deals)
    assert [v for _d, v in viewers if v.startswith("m:")] == sorted([f"m:{ann.pk}", f"m:{ben.pk}"])
    assert len(viewers) == 3 and all(day == today for day, _v in viewers)  # ann once, ben, one visitor
    visitor = next(v for _d, v in viewers if v.startswith("v:"))
    assert len(visitor) <= 40  # an HMAC: no session key or address is stored

    assert views_of(deals) == {}  # counted in Redis until the sweeper flushes
    sweep()
    assert views_of(deals) == {today: 6}

    clock.advance(days=1)
    logged_in(ann).get(deals.get_absolute_url())
    sweep()
    assert views_of(deals) == {today: 6, today + timedelta(days=1): 1}
    assert len(viewers_of(deals)) == 4  # ann again, on a new day


def test_a_thread_without_offers_is_not_counted(shop, deals):
    logged_in(f.user()).get(deals.get_absolute_url())
    sweep()
    assert views_of(deals) == {} and viewers_of(deals) == []


def test_the_sweeper_s_flush_is_idempotent_and_keeps_views_counted_meanwhile(shop, deals):
    post(shop, deals, "group_buy")
    reader = logged_in(f.user())
    for _ in range(5):
        reader.get(deals.get_absolute_url())
    today = timezone.localdate()
    sweep()
    sweep()  # nothing new: nothing moves
    assert views_of(deals) == {today: 5}
    assert stats.flush_view_counts() == 0
    reader.get(deals.get_absolute_url())
    reader.get(deals.get_absolute_url())
    assert stats.flush_view_counts() == 2
    assert views_of(deals) == {today: 7}
    assert len(viewers_of(deals)) == 1


def test_a_redis_flush_loses_no_history_and_duplicates_no_viewer(shop, deals):
    post(shop, deals, "group_buy")
    reader = logged_in(f.user())
    reader.get(deals.get_absolute_url())
    sweep()
    _flush_redis()
    reader.get(deals.get_absolute_url())  # its "already counted today" mark went with Redis
    sweep()
    assert views_of(deals) == {timezone.localdate(): 2}
    assert len(viewers_of(deals)) == 1


def _flush_redis():
    from django.conf import settings
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
    if keys:
        client.delete(*keys)


# --- the thread page's queries stay flat ------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return ctx.captured_queries


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_thread_page_queries_stay_flat_with_1_or_3_offers_and_a_repeat_view_writes_nothing(shop, deals, who):
    member = f.user("viewer")
    client = logged_in(member) if who == "member" else Client()
    take(post(shop, deals, "group_buy"), member, 1)
    url = deals.get_absolute_url()

    first = _queries(client, url)  # a new viewer today: one insert, once
    assert len([q for q in first if q["sql"].startswith("INSERT") and "threadviewer" in q["sql"].lower()]) == 1
    one = _queries(client, url)
    assert not [q for q in one if "threadview" in q["sql"].lower()]
    take(post(shop, deals, "flash_sale"), member, 1)
    take(post(shop, deals, "dutch_auction"), member, 1)
    for _ in range(10):
        f.post(thread_=deals)
    three = _queries(client, url)
    assert Offer.objects.count() == 3
    assert len(one) == len(three)
