"""`make run-machina` as a newcomer runs it: the real supervisor on the django-machina
site (SQLite + embedded Redis, web, worker and beat), seeded with its demo. Its forum
index lists the deals forum, a deals topic shows the live offer cards and the merchant's
badge, a demo member logs in through allauth's app API and takes the Dutch price, and
Ctrl-C stops every process. Slowish: ``pytest -m serve`` selects it."""

import sys
import urllib.request

import pytest

from tests.concurrency.crowd import Call, one
from tests.serve.support import MakeRun, processes_of, wait_gone
from tests.serve.test_make_run import roles

pytestmark = [
    pytest.mark.serve,
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc"),
]

PASSWORD = "demo-pass-123"  # examples/machina_site/demo_accounts.py


def page(site, path) -> str:
    """A whole HTML page (the crowd's client keeps only the start of a non-JSON body)."""
    with urllib.request.urlopen(site.base + path, timeout=30) as response:
        assert response.status == 200
        return response.read().decode()


@pytest.fixture
def machina_site(tmp_path):
    run = MakeRun(tmp_path / "var", tmp_path / "make-run.log", site="machina")
    try:
        yield run.start()
    finally:
        run.kill()


def test_make_run_machina_serves_the_deals_topics_a_member_claims_and_ctrl_c_stops_everything(machina_site):
    site = machina_site
    offers = one(site.base, Call("GET", "/api/v1/offers?status=live")).body["items"]
    by_kind = {offer["kind"]: offer for offer in offers}
    assert {"group_buy", "flash_sale", "dutch_auction", "team_buy", "lowest_unique"} <= set(by_kind), offers

    assert "Deals" in page(site, "/")
    topic = page(site, by_kind["dutch_auction"]["url"].split(site.base, 1)[-1])
    assert by_kind["dutch_auction"]["title"] in topic and "offer-title" in topic  # the card, in the topic
    assert "cc-author-badges" in topic and "Merchant: " in topic  # the author's badge on the posts

    login = one(site.base, Call("POST", "/_allauth/app/v1/auth/login", body={"username": "bob", "password": PASSWORD}))
    assert login.status == 200, login.body
    token = login.body["meta"]["session_token"]
    claim = one(site.base, Call("POST", f"/api/v1/offers/{by_kind['dutch_auction']['id']}/claims", token=token,
                                body={"quantity": 1}))  # fmt: skip
    assert claim.status == 201, claim.body
    mine = one(site.base, Call("GET", "/api/v1/me/orders", token=token)).body["items"]
    assert any(order["offer"] == by_kind["dutch_auction"]["id"] for order in mine), mine
    assert "Traceback" not in site.output()

    assert roles(processes_of(site.var_dir)) == {"web", "worker", "beat", "redis"}
    assert site.interrupt() == 0, site.output()[-3000:]
    assert wait_gone(site.var_dir) == []
