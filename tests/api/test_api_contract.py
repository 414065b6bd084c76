"""The commerce JSON API of shared/API.md, the same on every site: offers, claims and
orders over HTTP, members signed in through allauth's headless app API (X-Session-Token).
Threads and members come from each forum's test driver (tests/adapters/drivers.py), so this
file runs unchanged in the bundled forum's run and in the django-machina site's
(tests/machina/test_api_contract.py). tests/api/test_commerce_api.py goes deeper on the
bundled site."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from community_commerce.adapters import get_adapter
from community_commerce.models import Claim, Offer, Order
from community_commerce.services.merchants import apply, verify
from tests.adapters.drivers import DRIVERS, PASSWORD
from tests.offer_terms import OFFER_TERMS

pytestmark = pytest.mark.django_db
API = "/api/v1"
TERMS = OFFER_TERMS


@pytest.fixture(params=[d for d in DRIVERS if d.available() and d.name != "fallback"], ids=lambda d: d.name)
def forum(request, settings):
    settings.COMMUNITY_COMMERCE_FORUM_ADAPTER = request.param.adapter
    return request.param


class Member:
    """A caller of the API with the session token of allauth's headless login (or nobody)."""

    def __init__(self, user=None):
        self.user = user
        headers = {}
        if user is not None:
            login = Client().post(
                "/_allauth/app/v1/auth/login",
                json.dumps({"username": user.username, "password": PASSWORD}),
                content_type="application/json",
            )
            assert login.status_code == 200, login.content
            headers["X-Session-Token"] = login.json()["meta"]["session_token"]
        self.client = Client(headers=headers)

    def get(self, path, **params):
        return self.client.get(f"{API}{path}", params)

    def post(self, path, data=None):
        return self.client.post(
            f"{API}{path}", "" if data is None else json.dumps(data), content_type="application/json"
        )

    def delete(self, path):
        return self.client.delete(f"{API}{path}")


@pytest.fixture
def seller(forum):
    member = forum.member("seller")
    verify(merchant=apply(user=member, display_name="Tea House", contact="2 Quay St"), reason="known")
    return Member(member)


@pytest.fixture
def deals(forum):
    return forum.category(slug="deals", commerce=True)


@pytest.fixture
def thread(forum, seller, deals):
    return forum.thread(author=seller.user, category_id=deals, title="Tea deals")


@pytest.fixture
def buyer(forum):
    return Member(forum.member("buyer"))


def body(kind, thread_id, **changes):
    now = timezone.now()
    return {
        "kind": kind, "thread": thread_id, "title": f"Green tea {kind}", "description": "Sencha", "currency": "EUR",
        "starts_at": (now - timedelta(minutes=1)).isoformat(), "ends_at": (now + timedelta(days=2)).isoformat(),
        "stock": None if kind == "group_buy" else 20, "per_user_limit": 5, "terms": TERMS[kind], **changes,
    }  # fmt: skip


def created(member, data):
    response = member.post("/offers", data)
    assert response.status_code == 201, response.content
    return response.json()


def refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code and response.json()["message"], response.json()


def books():
    """What a refused request must leave as it was."""
    return (
        list(Offer.objects.order_by("id").values_list("id", "status", "sold")),
        list(Claim.objects.order_by("id").values_list("id", "status", "quantity")),
        list(Order.objects.order_by("id").values_list("id", "status")),
    )


@pytest.mark.parametrize("kind", ["group_buy", "flash_sale", "dutch_auction"])
def test_a_merchant_posts_each_kind_in_their_thread_and_its_url_is_the_forum_s_thread(seller, thread, kind):
    data = created(seller, body(kind, thread))
    assert (data["kind"], data["thread"], data["merchant"], data["status"]) == (kind, thread, "Tea House", "live")
    assert data["url"] == f"http://testserver{get_adapter().thread_url(thread)}#offer-{data['id']}"
    assert "Tea deals" in Client().get(data["url"], follow=True).content.decode()
    again = Member().get(f"/offers/{data['id']}").json()
    assert {k: v for k, v in again.items() if k != "server_time"} == {
        k: v for k, v in data.items() if k != "server_time"
    }
    listed = Member().get("/offers", thread=thread).json()
    assert (listed["count"], [o["id"] for o in listed["items"]]) == (1, [data["id"]])


def test_offers_go_only_into_the_merchant_s_own_unlocked_threads_of_deals_forums(forum, seller, deals):
    chat = forum.category(slug="chat", commerce=False)
    cases = [
        (forum.thread(author=seller.user, category_id=chat, title="Chat"), 403, "commerce_disabled"),
        (forum.thread(author=forum.member("other"), category_id=deals, title="Theirs"), 403, "not_your_thread"),
        (forum.thread(author=seller.user, category_id=deals, title="Locked", locked=True), 403, "thread_locked"),
        (987654, 404, "not_found"),
    ]
    before = books()
    for thread_id, status, code in cases:
        refused(seller.post("/offers", body("flash_sale", thread_id)), status, code)
    refused(Member().post("/offers", body("flash_sale", cases[0][0])), 401, "not_authenticated")
    member = Member(forum.member("maybe_seller"))
    refused(member.post("/offers", body("flash_sale", cases[0][0])), 403, "not_merchant")
    assert books() == before


def test_bad_input_is_400_with_its_fields_and_changes_nothing(seller, thread):
    before = books()
    response = seller.post("/offers", body("flash_sale", thread, terms={"unit_price": "-1", "reservation_minutes": 15}))
    refused(response, 400, "invalid")
    assert response.json()["fields"]
    assert books() == before


def test_a_member_joins_a_group_buy_withdraws_and_sees_only_their_own_claims(forum, seller, thread, buyer):
    offer = created(seller, body("group_buy", thread))
    claim = buyer.post(f"/offers/{offer['id']}/claims", {"quantity": 3, "idempotency_key": "k-1"})
    assert claim.status_code == 201, claim.content
    claim = claim.json()
    assert (claim["offer"], claim["quantity"], claim["status"], claim["unit_price"]) == (
        offer["id"], 3, "active", "19.90"
    )  # fmt: skip
    again = buyer.post(f"/offers/{offer['id']}/claims", {"quantity": 3, "idempotency_key": "k-1"})
    assert again.json()["id"] == claim["id"]  # the same key: the same claim
    state = Member().get(f"/offers/{offer['id']}").json()
    assert (state["quantity_claimed"], state["buyers"], state["reached"]) == (3, 1, False)
    assert [c["id"] for c in buyer.get("/me/claims").json()["items"]] == [claim["id"]]
    assert Member(forum.member("someone")).get("/me/claims").json() == {"items": [], "count": 0}
    refused(Member(forum.member("intruder")).delete(f"/claims/{claim['id']}"), 404, "not_found")
    assert buyer.delete(f"/claims/{claim['id']}").status_code in (200, 204)
    assert Member().get(f"/offers/{offer['id']}").json()["quantity_claimed"] == 0


def test_a_flash_sale_reservation_becomes_an_order_the_merchant_moves_through_the_pipeline(seller, thread, buyer):
    offer = created(seller, body("flash_sale", thread))
    claim = buyer.post(f"/offers/{offer['id']}/claims", {"quantity": 2})
    assert claim.status_code == 201, claim.content
    order_id = claim.json()["order"]
    order = buyer.get(f"/orders/{order_id}").json()
    assert (order["quantity"], order["unit_price"], order["total"], order["status"]) == (
        2, "9.90", "19.80", "pending_payment"
    )  # fmt: skip
    assert Member().get(f"/offers/{offer['id']}").json()["stock_left"] == 18
    assert [o["id"] for o in seller.get("/merchant/orders").json()["items"]] == [order_id]
    refused(buyer.post(f"/orders/{order_id}/pay"), 403, "forbidden")
    for who, action, status in [(seller, "pay", "paid"), (seller, "ship", "shipped"), (buyer, "complete", "completed")]:
        response = who.post(f"/orders/{order_id}/{action}")
        assert (response.status_code, response.json()["status"]) == (200, status), response.content
    assert [o["status"] for o in buyer.get("/me/orders").json()["items"]] == ["completed"]


def test_a_member_takes_the_dutch_price_of_the_moment(seller, thread, buyer):
    offer = created(seller, body("dutch_auction", thread))
    Offer.objects.filter(pk=offer["id"]).update(starts_at=timezone.now() - timedelta(seconds=125))
    assert Member().get(f"/offers/{offer['id']}").json()["current_unit_price"] == "90.00"  # two steps down
    claim = buyer.post(f"/offers/{offer['id']}/claims", {"quantity": 1})
    assert claim.status_code == 201, claim.content
    assert buyer.get(f"/orders/{claim.json()['order']}").json()["unit_price"] == "90.00"


def test_the_merchant_cancels_and_a_thread_the_forum_deletes_cancels_too(forum, seller, deals, thread, buyer):
    first = created(seller, body("group_buy", thread))
    assert buyer.post(f"/offers/{first['id']}/claims", {"quantity": 1}).status_code == 201
    refused(buyer.post(f"/offers/{first['id']}/cancel", {"reason": "mine now"}), 403, "forbidden")
    cancelled = seller.post(f"/offers/{first['id']}/cancel", {"reason": "Out of tea"})
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    other = forum.thread(author=seller.user, category_id=deals, title="More tea")
    second = created(seller, body("flash_sale", other))
    forum.delete(other, forum.delete_paths()[0])
    assert Member().get(f"/offers/{second['id']}").json()["status"] == "cancelled"
    refused(seller.post("/offers", body("flash_sale", other)), 404, "not_found")


def test_a_share_link_leads_to_the_forum_s_thread_and_a_coupon_and_the_link_price_a_claim(forum, seller, thread, buyer):
    offer = created(seller, body("flash_sale", thread))
    link = seller.post("/links", {"offer": offer["id"], "channel": "poster"})
    assert link.status_code == 201, link.content
    link = link.json()
    assert link["target"] == {"offer": offer["id"], "thread": thread, "url": offer["url"]}
    visit = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36").get(
        f"/r/{link['code']}"
    )
    assert visit.status_code == 302 and f"http://testserver{visit['Location']}" == offer["url"]
    coupon = seller.post(f"/offers/{offer['id']}/coupons", {"code": "LEAF", "discount_type": "amount", "value": "1.50"})
    assert coupon.status_code == 201, coupon.content
    claimed = buyer.post(f"/offers/{offer['id']}/claims", {"quantity": 2, "coupon": "leaf", "ref": link["code"]})
    assert claimed.status_code == 201, claimed.content
    claimed = claimed.json()
    assert (claimed["discount"], claimed["total"], claimed["coupon"]) == ("3.00", "16.80", "LEAF")
    assert buyer.get(f"/orders/{claimed['order']}").json()["total"] == "16.80"
