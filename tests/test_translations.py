"""English and Simplified Chinese: the catalogues are complete and compiled, and
the key pages read in Chinese when the reader chooses it.

Each app ships its own catalogue (forum/locale, community_commerce/locale); the
site-wide strings of templates/ and config/ are in locale/. The .mo files are
committed, so a machine without gettext still serves Chinese: these tests check
them against their .po without needing gettext, and with msgfmt when it is there.
"""

import gettext
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from community_commerce.models import Offer
from community_commerce.services import claim as claim_service
from community_commerce.services import coupons, links, orders
from tests import factories as f

BASE_DIR = Path(settings.BASE_DIR)
CATALOGUE_DIRS = [BASE_DIR / "forum" / "locale", BASE_DIR / "community_commerce" / "locale", BASE_DIR / "locale"]
PO_FILES = sorted(p for d in CATALOGUE_DIRS for p in d.glob("*/LC_MESSAGES/*.po"))
ZH = "zh-hans"


@pytest.fixture(autouse=True)
def _language_restored():
    """LocaleMiddleware activates the request's language in this thread and leaves it so:
    give the next test (which may compare English messages) the language it had."""
    before = translation.get_language()
    yield
    if before:
        translation.activate(before)
    else:
        translation.deactivate()


# --- a small .po reader ------------------------------------------------------------------------


def _unquote(line: str) -> str:
    body = line.strip()
    assert body.startswith('"') and body.endswith('"'), f"not a quoted .po string: {line!r}"
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], body[1:-1])


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: flags, msgctxt, msgid, msgid_plural, msgstr {index or None: text}.
    Obsolete entries (``#~``) are left out."""
    entries, entry, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or line.startswith("#~"):
            if entry is not None and entry["msgid"] is not None:
                entries.append(entry)
            if not line.strip():
                entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += _unquote(line)
            else:
                entry[field[0]] += _unquote(line)
        else:
            keyword, _, rest = line.partition(" ")
            if keyword.startswith("msgstr["):
                field = ("msgstr", int(keyword[7:-1]))
                entry["msgstr"][field[1]] = _unquote(rest)
            elif keyword == "msgstr":
                field = ("msgstr", None)
                entry["msgstr"][None] = _unquote(rest)
            elif keyword in ("msgctxt", "msgid", "msgid_plural"):
                field = (keyword,)
                entry[keyword] = _unquote(rest)
            else:
                raise AssertionError(f"{path}: cannot read {line!r}")
    return entries


def header(entries) -> dict[str, str]:
    head = next(e for e in entries if e["msgid"] == "" and e["msgctxt"] is None)
    return dict(line.split(": ", 1) for line in head["msgstr"][None].splitlines() if ": " in line)


def expected_catalog(entries) -> dict:
    """What gettext.GNUTranslations loads from a correct .mo of these entries (the header aside)."""
    catalog = {}
    for e in entries:
        if e["msgid"] == "" and e["msgctxt"] is None:
            continue
        key = f"{e['msgctxt']}\x04{e['msgid']}" if e["msgctxt"] is not None else e["msgid"]
        if e["msgid_plural"] is not None:
            for index, text in e["msgstr"].items():
                catalog[(key, index)] = text
        else:
            catalog[key] = e["msgstr"][None]
    return catalog


def loaded_catalog(mo_path: Path) -> dict:
    with mo_path.open("rb") as fp:
        catalog = dict(gettext.GNUTranslations(fp)._catalog)
    catalog.pop("", None)
    return catalog


PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|<[^>]+>|\{\w\}")


def _id(path: Path) -> str:
    return str(path.relative_to(BASE_DIR))


# --- (a) every catalogue is complete -----------------------------------------------------------


def test_the_three_catalogues_exist():
    found = {p.parent.parent.parent for p in PO_FILES if p.parent.parent.name == "zh_Hans"}
    assert found == set(CATALOGUE_DIRS)


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_catalogue_has_no_untranslated_or_fuzzy_entry(po):
    entries = read_po(po)
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy entries (the header included): {fuzzy}"
    untranslated = [e["msgid"] for e in entries if e["msgid"] and not all(e["msgstr"].values())]
    assert not untranslated, f"untranslated: {untranslated}"
    assert len(entries) > 10


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_catalogue_header_and_plural_forms(po):
    entries = read_po(po)
    head = header(entries)
    assert head["Content-Type"] == "text/plain; charset=UTF-8"
    assert head["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"  # Chinese has one form
    for e in entries:
        if e["msgid_plural"] is not None:
            assert set(e["msgstr"]) == {0}, e["msgid"]


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_translations_keep_placeholders_and_tags(po):
    """%(name)s, %d, HTML tags and the countdown's {d}: the same in the translation."""
    wrong = []
    for e in read_po(po):
        if not e["msgid"]:
            continue
        source = e["msgid_plural"] if e["msgid_plural"] is not None else e["msgid"]
        for text in e["msgstr"].values():
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                wrong.append((e["msgid"], text))
    assert not wrong


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_msgfmt_accepts_the_catalogue(po):
    if not shutil.which("msgfmt"):
        pytest.skip("gettext's msgfmt is not installed")
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def _fresh_catalogue_msgids(tmp_path, source: Path, *, top_level: bool) -> set:
    """The msgids makemessages finds in ``source`` today, run on a copy (the real catalogue is untouched)."""
    from django.core.management import call_command
    from django.test.utils import override_settings

    work = tmp_path / source.name
    if top_level:
        work.mkdir()
        for name in ("templates", "config"):
            shutil.copytree(BASE_DIR / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        (work / "locale").mkdir()
    else:
        shutil.copytree(source, work, ignore=shutil.ignore_patterns("__pycache__", "locale", "migrations"))
        (work / "locale").mkdir()
    import os

    cwd = os.getcwd()
    os.chdir(work)
    try:
        with override_settings(LOCALE_PATHS=[str(work / "locale")]):
            call_command("makemessages", locale=["zh_Hans"], verbosity=0, no_obsolete=True)
    finally:
        os.chdir(cwd)
    entries = read_po(work / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    return {(e["msgctxt"], e["msgid"]) for e in entries if e["msgid"]}


@pytest.mark.parametrize(
    ("source", "top_level"),
    [(BASE_DIR / "forum", False), (BASE_DIR / "community_commerce", False), (BASE_DIR, True)],
    ids=["forum", "community_commerce", "site"],
)
def test_every_marked_string_is_in_its_catalogue(tmp_path, source, top_level):
    """A string marked for translation but missing from the committed catalogue would show in
    English: run makemessages again (on a copy) and compare."""
    if not shutil.which("xgettext"):
        pytest.skip("gettext's xgettext is not installed")
    locale_dir = (BASE_DIR / "locale") if top_level else (source / "locale")
    shipped = {(e["msgctxt"], e["msgid"]) for e in read_po(locale_dir / "zh_Hans/LC_MESSAGES/django.po")}
    fresh = _fresh_catalogue_msgids(tmp_path, source, top_level=top_level)
    assert len(fresh) > 10, "makemessages found nothing: is the copy complete?"
    missing = fresh - shipped
    assert not missing, f"run makemessages and translate: {sorted(missing, key=str)}"


# --- (b) the committed .mo files say what their .po says ---------------------------------------


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_mo_matches_its_po(po):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{_id(mo)} is missing: run compilemessages"
    assert loaded_catalog(mo) == expected_catalog(read_po(po)), f"{_id(mo)} is stale: run compilemessages"


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_mo_matches_what_msgfmt_makes(po, tmp_path):
    if not shutil.which("msgfmt"):
        pytest.skip("gettext's msgfmt is not installed")
    fresh = tmp_path / "fresh.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True, capture_output=True)
    assert loaded_catalog(po.with_suffix(".mo")) == loaded_catalog(fresh)


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_no_other_catalogue_shadows_ours(po):
    """Django merges the catalogues of every installed app, the first app winning; allauth and
    django.contrib come before ours, so a msgid they also translate shows their words, not ours
    (a msgctxt keeps ours apart). What our catalogue says is what the reader gets."""
    shadowed = []
    with translation.override(ZH):
        for e in read_po(po):
            if not e["msgid"]:
                continue
            if e["msgid_plural"] is not None:
                args = (e["msgid"], e["msgid_plural"], 2)
                got = translation.npgettext(e["msgctxt"], *args) if e["msgctxt"] else translation.ngettext(*args)
                want = e["msgstr"][0]
            else:
                got = (
                    translation.pgettext(e["msgctxt"], e["msgid"]) if e["msgctxt"] else translation.gettext(e["msgid"])
                )
                want = e["msgstr"][None]
            if got != want:
                shadowed.append((e["msgctxt"], e["msgid"], want, got))
    assert not shadowed


def test_django_finds_the_catalogues():
    """Each app's catalogue is used, and the site's: one string from each, in Chinese."""
    with translation.override(ZH):
        assert translation.gettext("Watch") == "关注"  # forum
        assert translation.gettext("Buy now") == "立即抢购"  # community_commerce
        assert translation.gettext("My deals") == "我的订单"  # templates/base.html
        assert str(settings.LANGUAGES[1][1]) == "简体中文"  # config/settings.py
    with translation.override("en"):
        assert translation.gettext("Watch") == "Watch"


# --- (c) the pages in Chinese ------------------------------------------------------------------

# Words of the interface in English that a Chinese page must not show (the data is Chinese).
ENGLISH_UI = [
    "Reply", "Post reply", "Watch", "Unwatch", "Join", "Buy now", "Sold out", "Log in", "Log out", "Sign up",
    "Notifications", "My deals", "Sell", "Settings", "Search", "Forums", "Latest activity", "New thread",
    "Started by", "Pinned", "Locked", "Group-buy", "Flash sale", "Dutch auction", "Price now", "Ends in",
    "Starts", "Quantity", "Your claims", "Waiting for payment", "Mark paid", "Mark shipped", "Orders to fulfil",
    "Revenue", "Your offers", "Attach an offer", "Unit price", "Title", "Language", "Change", "Breadcrumb",
    "Remember Me", "Forgot your password", "Password", "Username", "Commitments", "Pay before", "Deadline",
    "units", "left", "reply", "replies", "thread", "threads", "buyer", "buyers", "minutes", "hours", "ago",
    "Share", "Coupons", "Take one", "All taken", "Yours", "Visits", "Visitors", "Signups", "My links", "My coupons",
    "Copy", "Campaign links", "Discount", "coupon", "off", "Share link", "Paid orders",
]  # fmt: skip


def visible_text(html: str) -> str:
    """What a reader reads: text and the attributes shown to them (title, placeholder, labels)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    shown = re.findall(r'\b(?:title|placeholder|aria-label|alt|data-label)="([^"]*)"', html)
    return " ".join(unescape(" ".join([re.sub(r"<[^>]+>", " ", html), *shown])).split())


def english_left(text: str) -> list[str]:
    return [word for word in ENGLISH_UI if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


@pytest.fixture
def shop(db, flood_off):
    """A verified merchant with a thread in a deals category carrying a group-buy and a flash
    sale; a buyer who joined the one and reserved from the other. All the data is in Chinese."""
    deals = f.category("团购专区", slug="deals", commerce_enabled=True, description="邻居们的团购和抢购")
    f.category("闲聊", slug="chat", description="随便聊聊")
    merchant = f.merchant(f.user("laowang"), display_name="老王水果店")
    thread = f.commerce_thread(merchant, category_=deals, title="春季水果团购", body="新鲜草莓，周六自提。")
    group_buy = f.offer("group_buy", merchant_=merchant, thread_=thread, title="有机草莓", per_user_limit=5)
    flash_sale = f.offer("flash_sale", merchant_=merchant, thread_=thread, title="芒果限时抢")
    buyer = f.user("xiaoli")
    claim_service.claim(offer_id=group_buy.pk, buyer=buyer, quantity=2)
    coupons.create_coupon(user=merchant.user, offer_id=flash_sale.pk, code="MANGO", discount_type="amount", value="1")
    claim_service.claim(offer_id=flash_sale.pk, buyer=buyer, quantity=1, coupon="MANGO")
    handout = coupons.create_coupon(
        user=merchant.user, offer_id=group_buy.pk, discount_type="percent", value="10", max_uses=5, handout=True
    )
    coupons.take(coupon_id=handout.pk, member=buyer)
    f.post(thread_=thread, author=buyer, body="已参团，谢谢老板！", bump=True)
    poster = links.get_or_create_link(user=merchant.user, offer_id=group_buy.pk, channel="poster")[0]
    mine = links.get_or_create_link(user=buyer, offer_id=flash_sale.pk)[0]
    friend = f.user("xiaozhao")  # came through the buyer's link and paid: a reward, a commission, a report row
    sold, _ = claim_service.claim(offer_id=flash_sale.pk, buyer=friend, quantity=1, ref=mine.code)
    orders.transition(order_id=sold.order.pk, to_status="paid", actor=merchant.user)
    return {"category": deals, "merchant": merchant, "thread": thread, "buyer": buyer, "poster": poster, "link": mine}


def chinese_client(member=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=ZH)
    if member is not None:
        client.force_login(member)
    return client


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    return html


def _urls(shop):
    thread = shop["thread"]
    return {
        "index": (None, reverse("forum:index"), ["论坛首页", "最新动态", "团购专区", "个帖子", "楼主"]),
        "category": (None, shop["category"].get_absolute_url(), ["团购 ", "限时抢购 · 剩", "条回复", "登录后发帖"]),
        "thread (visitor)": (None, thread.get_absolute_url(), ["当前价格", "登录后参与", "距结束", "商家：老王水果店"]),
        "thread (buyer)": (
            "buyer",
            thread.get_absolute_url(),
            [
                "参团",
                "立即抢购",
                "我的认购",
                "待付款",
                "关注",
                "发表回复",
                "每人限购 5 件",
                "阶梯价",
                "你的券：",
                "分享",
            ],
        ),
        "thread (merchant)": (
            "merchant",
            thread.get_absolute_url(),
            ["这是你发布的活动。", "取消这个活动", "优惠券（1）", "新建优惠券"],
        ),
        "thread (other member)": ("other", thread.get_absolute_url(), ["领取一张", "剩余 4 张", "减 10%", "分享"]),
        "my links": ("merchant", reverse("community_commerce:my_links"), ["我的链接", "新建推广链接", "访问次数"]),
        "link page": (
            "buyer",
            reverse("community_commerce:link", args=[shop["link"].pk]),
            ["分享出去", "下载二维码", "注册数"],
        ),
        "my coupons": ("buyer", reverse("community_commerce:my_coupons"), ["我的优惠券", "减 10%"]),
        "new thread with the offer composer": (
            "merchant",
            reverse("forum:new_thread", args=[shop["category"].slug]),
            ["发新帖", "附加活动", "活动类型", "起拍价", "底价", "预览：买家看到的样子"],
        ),
        "my deals": (
            "buyer",
            reverse("community_commerce:my_orders"),
            ["我的订单", "待付款", "已参团", "付款截止", "优惠券 −€1.00"],
        ),
        "merchant dashboard": (
            "merchant",
            reverse("community_commerce:merchant_dashboard"),
            [
                "待处理订单",
                "标记已付款",
                "标记已发货",
                "收入",
                "我的活动",
                "参与漏斗",
                "已认证",
                "按渠道统计",
                "你应付的佣金",
            ],
        ),
        "rewards": ("buyer", reverse("community_commerce:rewards"), ["奖励", "按销售（CPS）", "待定", "下载 CSV"]),
        "staff report": (
            "staff",
            reverse("community_commerce:staff_report"),
            ["论坛报表", "所有商家的渠道", "投资回报率（ROI）", "应付给会员的推荐奖励", "参与情况"],
        ),
        "login": (None, reverse("account_login"), ["登录", "注册", "语言"]),
        "notifications": ("buyer", reverse("forum:notifications"), ["通知"]),
    }


PAGES = [
    "index",
    "category",
    "thread (visitor)",
    "thread (buyer)",
    "thread (merchant)",
    "thread (other member)",
    "my links",
    "link page",
    "my coupons",
    "new thread with the offer composer",
    "my deals",
    "merchant dashboard",
    "rewards",
    "staff report",
    "login",
    "notifications",
]


@pytest.mark.parametrize("name", PAGES)
def test_page_reads_in_chinese(shop, name):
    who, url, expected = _urls(shop)[name]
    member = {"buyer": shop["buyer"], "merchant": shop["merchant"].user, None: None}.get(who) or (
        f.user("xiaozhang") if who == "other" else f.staff("guanliyuan") if who == "staff" else None
    )
    text = visible_text(page(chinese_client(member), url))
    assert english_left(text) == [], f"English left on {name}: {text}"
    for words in expected:
        assert words in text, f"{words!r} not on {name}"


def test_dates_and_money_follow_the_language(shop):
    """Dates use Django's zh-hans formats (2026年1月2日 18:00), relative times Chinese words;
    amounts are written as a Chinese reader writes them (CLDR, through Babel), in the currency's decimals."""
    text = visible_text(page(chinese_client(shop["buyer"]), shop["thread"].get_absolute_url()))
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d{2}", text)
    assert "€19.90" in text and "€9.90" in text
    assert re.search(r"\d+\s*(分钟|小时|天)", text)
    english = visible_text(Client().get(shop["thread"].get_absolute_url()).content.decode())
    assert not re.search(r"\d{4}年", english)


def test_live_offer_fragment_in_both_languages(shop):
    """The polled card is cached per language: a Chinese reader never gets the English copy."""
    offer = Offer.objects.get(thread_id=shop["thread"].pk, kind="group_buy")
    url = reverse("community_commerce:offer_live", args=[offer.pk])
    english = visible_text(Client().get(url).content.decode())
    chinese = visible_text(chinese_client().get(url).content.decode())
    assert "Price now" in english
    assert "当前价格" in chinese and english_left(chinese) == []


def test_browser_asking_for_zh_cn_gets_simplified_chinese(db):
    html = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").get(reverse("forum:index")).content.decode()
    assert '<html lang="zh-hans">' in html and "最新动态" in html


def test_english_stays_the_default(shop):
    text = visible_text(Client().get(reverse("forum:index")).content.decode())
    assert "Latest activity" in text and "最新动态" not in text
    assert {"Latest activity", "Log in", "Search", "Forums"} <= set(english_left(text))  # the check can fail


def test_language_switcher_round_trip(shop):
    """The footer's form (POST /i18n/setlang/) switches the site to Chinese and back."""
    client = Client()
    client.force_login(shop["buyer"])
    index = reverse("forum:index")
    home = client.get(index).content.decode()
    assert 'name="language"' in home and 'value="zh-hans"' in home and "简体中文" in home

    response = client.post(reverse("set_language"), {"language": ZH, "next": index})
    assert response.status_code == 302 and response["Location"] == index
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == ZH
    for url in (index, shop["thread"].get_absolute_url(), reverse("community_commerce:my_orders")):
        text = visible_text(page(client, url))
        assert english_left(text) == [], url
    assert "最新动态" in visible_text(page(client, index))

    client.post(reverse("set_language"), {"language": "en", "next": index})
    text = visible_text(client.get(index).content.decode())
    assert "Latest activity" in text and "My deals" in text and "最新动态" not in text


def test_messages_and_errors_are_translated(shop):
    """Flash messages and service errors come back in the reader's language."""
    client = chinese_client(shop["buyer"])
    offer = Offer.objects.get(thread_id=shop["thread"].pk, kind="group_buy")
    response = client.post(reverse("community_commerce:claim", args=[offer.pk]), {"quantity": 9}, follow=True)
    assert "每人限购 5 件。" in visible_text(response.content.decode())

    merchant = chinese_client(shop["merchant"].user)
    response = merchant.post(reverse("community_commerce:merchant_dashboard"), {"action": "pay"}, follow=True)
    assert "请先勾选订单。" in visible_text(response.content.decode())


def test_api_errors_follow_accept_language(db):
    response = Client(HTTP_ACCEPT_LANGUAGE=ZH).post(
        "/api/v1/threads", data={"category": 1, "title": "x", "body": "y"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["message"] == "请先登录（X-Session-Token 或会话 Cookie）。"
    assert response.json()["code"] == "not_authenticated"
