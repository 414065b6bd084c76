"""The report pages: a member's Rewards, the merchant dashboard's report (channels with a
chart and its table, days, participation, commissions owed, the cost form), the staff
report, and the CSV files (UTF-8 with a BOM, amounts as plain numbers, in both languages)."""

import csv
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from community_commerce.models import PromotionCost
from community_commerce.services import reports
from tests import factories
from tests.commerce.ledger_support import buy, coupon_for, flash, link_of, move, referred

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(merchant, merchant_thread):
    offer = flash(merchant, merchant_thread, price="12.50", title="Honey jars")
    bob = factories.user("bob")
    newcomer = referred(link_of(bob, offer), "newcomer")
    kept = move(buy(offer, newcomer, ref=link_of(bob, offer).code), "pay", "ship", "complete")
    news = coupon_for(offer, channel="newsletter", code="NEWS", value="2.50")
    other = move(buy(offer, factories.user("reader"), coupon=news.code), "pay")
    return {"offer": offer, "bob": bob, "kept": kept, "other": other}


def logged_in(user, language=None):
    client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    client.force_login(user)
    return client


def test_the_rewards_page_lists_each_reward_with_its_order_and_how_it_is_counted(sales):
    page = logged_in(sales["bob"]).get(reverse("community_commerce:rewards")).content.decode()
    assert sales["kept"].number in page
    assert "2% of €12.50" in page
    assert "a new member&#x27;s first order" in page or "a new member's first order" in page
    assert "€5.25" in page  # pending: 0.25 + 5.00
    assert 'aria-current="page"' in page and "Rewards" in page


def test_the_rewards_page_needs_a_login():
    response = Client().get(reverse("community_commerce:rewards"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_dashboard_shows_the_channel_report_with_a_chart_and_the_table_behind_it(sales, merchant):
    page = logged_in(merchant.user).get(reverse("community_commerce:merchant_dashboard")).content.decode()
    assert 'id="report-table"' in page
    assert re.search(r'<tr data-channel="newsletter" data-currency="EUR">', page)
    data = json.loads(
        re.search(r'<script id="chart-channels-EUR-data" type="application/json">(.*?)</script>', page).group(1)
    )
    assert sorted(zip(data["labels"], data["datasets"][0]["data"], strict=True)) == [
        ("forum", 12.5),
        ("newsletter", 10.0),
    ]
    assert 'canvas data-chart="chart-channels-EUR-data" role="img"' in page
    assert "vendor/chartjs/chart.umd.js" in page
    assert 'id="chart-days-EUR"' in page and 'id="chart-funnel-' in page
    assert "Commissions you owe" in page and sales["other"].number in page


def test_the_dashboard_s_report_filters_say_what_is_wrong(sales, merchant):
    page = logged_in(merchant.user).get(reverse("community_commerce:merchant_dashboard") + "?from=2026-02-31").content
    assert b"Give a date as YYYY-MM-DD." in page
    assert b'id="report-table"' in page


def test_a_cost_entered_on_the_dashboard_gives_the_channel_its_roi(sales, merchant):
    client = logged_in(merchant.user)
    response = client.post(
        reverse("community_commerce:add_cost"),
        {"offer": sales["offer"].pk, "channel": "newsletter", "amount": "4.00", "note": "mailing"},
    )
    assert response.status_code == 302
    assert PromotionCost.objects.get().amount == 4
    page = client.get(reverse("community_commerce:merchant_dashboard")).content.decode()
    row = re.search(r'<tr data-channel="newsletter" data-currency="EUR">(.*?)</tr>', page, re.S).group(1)
    assert "1.50" in row  # (10.00 - 4.00) / 4.00
    refused = client.post(
        reverse("community_commerce:add_cost"), {"offer": sales["offer"].pk, "channel": "x", "amount": "-1"}
    )
    assert refused.status_code == 302 and PromotionCost.objects.count() == 1


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.parametrize("language,header", [("en", "Channel"), ("zh-hans", "渠道")])
def test_the_report_downloads_as_csv_with_plain_numbers_in_both_languages(sales, merchant, language, header):
    response = logged_in(merchant.user, language).get(reverse("community_commerce:merchant_report_csv"))
    rows = read_csv(response)
    assert rows[0][0] == header
    by_channel = {r[0]: r for r in rows[1:]}
    assert by_channel["newsletter"][1:] == ["EUR", "0", "0", "0", "1", "1", "0", "10.00", "2.50", "0.50", "0.00", ""]
    assert by_channel["forum"][8] == "12.50"


def test_the_commissions_and_rewards_download_as_csv(sales, merchant):
    rows = read_csv(logged_in(merchant.user).get(reverse("community_commerce:merchant_commissions_csv")))
    assert sorted(r[7] for r in rows[1:]) == ["0.25", "0.50", "0.63", "5.00"]  # 5% of 12.50 is 0.625: half up
    mine = read_csv(logged_in(sales["bob"]).get(reverse("community_commerce:rewards_csv")))
    assert sorted(r[6] for r in mine[1:]) == ["0.25", "5.00"]


def test_a_spreadsheet_formula_in_a_cell_is_kept_as_text():
    from community_commerce.csv_export import cell

    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert cell("newsletter") == "newsletter"


def test_the_staff_report_is_for_staff_and_shows_the_forum_s_money(sales):
    member = logged_in(sales["bob"]).get(reverse("community_commerce:staff_report"))
    assert member.status_code == 302
    page = logged_in(factories.staff()).get(reverse("community_commerce:staff_report")).content.decode()
    assert 'id="report-table"' in page and "commissions per month" in page
    assert "bob" in page  # rewards owed
    rows = read_csv(logged_in(factories.staff()).get(reverse("community_commerce:staff_report_csv")))
    assert {r[0] for r in rows[1:]} >= {"forum", "newsletter"}


def test_the_staff_page_s_per_month_and_owed_tables_download_as_csv(sales):
    staff = logged_in(factories.staff())
    page = staff.get(reverse("community_commerce:staff_report")).content.decode()
    assert (
        reverse("community_commerce:staff_months_csv") in page and reverse("community_commerce:staff_owed_csv") in page
    )
    months = reports.forum_by_month()
    rows = read_csv(staff.get(reverse("community_commerce:staff_months_csv")))
    assert rows[1:] == [[m["month"], m["currency"], f"{m['amount']:f}", f"{m['approved']:f}"] for m in months]
    assert months and months[0]["amount"] > 0  # the forum's CPS on the two paid orders
    owed = read_csv(staff.get(reverse("community_commerce:staff_owed_csv")))
    assert owed[1:] == [["bob", "EUR", "5.25", "5.25", "0.00"]]  # CPS 0.25 + CPA 5.00, both pending
    assert logged_in(sales["bob"]).get(reverse("community_commerce:staff_owed_csv")).status_code == 302
