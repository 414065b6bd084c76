"""Markdown rendering: what members see, what attackers cannot do, who gets mentioned."""

import re
from html.parser import HTMLParser

import pytest

from forum import markdown
from tests import factories


class Parsed(HTMLParser):
    """The rendered HTML as a browser's tokenizer sees it: elements, attributes, text."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements = []  # (tag, {attr: value}) in document order
        self.text = ""
        self._link_stack = []
        self.links = []  # (attrs, text) of every <a>
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "a":
            self._link_stack.append([attributes, ""])

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "a" and self._link_stack:
            self.links.append(tuple(self._link_stack.pop()))

    def handle_data(self, data):
        self.text += data
        for link in self._link_stack:
            link[1] += data

    def tags(self):
        return [tag for tag, _ in self.elements]

    def first(self, tag):
        return next(attrs for t, attrs in self.elements if t == tag)


def parse(html) -> Parsed:
    return Parsed(html)


def url_scheme(url: str) -> str:
    """The scheme a browser would use for this attribute value (WHATWG URL parsing):
    leading/trailing controls and spaces are stripped, tabs and newlines removed anywhere."""
    url = url.strip("".join(chr(c) for c in range(0x21)))
    url = re.sub(r"[\t\n\r]", "", url)
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", url)
    return match.group(1).lower() if match else ""


def assert_harmless(html):
    doc = parse(html)
    dangerous_tags = {"script", "iframe", "style", "svg", "math", "object", "embed", "form", "base", "meta", "details"}
    assert not dangerous_tags & set(doc.tags()), html
    for tag, attrs in doc.elements:
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), f"event handler {name} on <{tag}> in {html!r}"
            assert name.lower() not in {"style", "srcdoc", "formaction", "xlink:href"}, html
            if name.lower() in {"href", "src", "action", "data", "poster", "background"}:
                assert url_scheme(value or "") not in {"javascript", "vbscript", "data"}, (
                    f"{name}={value!r} in {html!r}"
                )


# --- Plain markdown --------------------------------------------------------------------


def test_emphasis_and_inline_code():
    doc = parse(markdown.render("Some *soft* and **loud** words, and `x = 1`.").html)
    assert doc.tags() == ["p", "em", "strong", "code"]
    assert doc.text.strip() == "Some soft and loud words, and x = 1."


def test_fenced_code_block_keeps_its_text_verbatim():
    doc = parse(markdown.render("```\nif a < b:\n    **not bold**\n```").html)
    assert doc.tags() == ["pre", "code"]
    assert doc.text.strip("\n") == "if a < b:\n    **not bold**"


def test_lists():
    doc = parse(markdown.render("- apples\n- pears\n\n1. one\n2. two").html)
    assert doc.tags() == ["ul", "li", "li", "ol", "li", "li"]
    assert "apples" in doc.text and "two" in doc.text


def test_ordered_list_keeps_its_start_number():
    doc = parse(markdown.render("3. three\n4. four").html)
    assert doc.first("ol") == {"start": "3"}


def test_tables():
    doc = parse(markdown.render("| Item | Price |\n|---|---|\n| Tea | 2.50 |").html)
    assert [t for t in doc.tags() if t in {"table", "th", "td"}] == ["table", "th", "th", "td", "td"]
    assert "Tea" in doc.text and "2.50" in doc.text


def test_blockquote_and_strikethrough():
    doc = parse(markdown.render("> wise words\n\n~~old price~~").html)
    assert doc.tags() == ["blockquote", "p", "p", "s"]


def test_links_are_kept_and_marked_nofollow_ugc():
    doc = parse(markdown.render('[our shop](https://example.com/shop "The shop")').html)
    (attrs, text) = doc.links[0]
    assert attrs["href"] == "https://example.com/shop"
    assert attrs["title"] == "The shop"
    assert text == "our shop"
    assert {"nofollow", "ugc"} <= set(attrs["rel"].split())


def test_images_from_https_are_shown():
    doc = parse(markdown.render("![a cat](https://example.com/cat.png)").html)
    assert doc.first("img") == {"src": "https://example.com/cat.png", "alt": "a cat"}


def test_raw_html_is_shown_as_text_not_markup():
    doc = parse(markdown.render('Hello <b>bold</b> <div class="x">box</div>').html)
    assert "b" not in doc.tags() and "div" not in doc.tags()
    assert '<b>bold</b> <div class="x">box</div>' in doc.text


# --- Cross-site scripting ----------------------------------------------------------------

XSS_MARKDOWN = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](jAvAsCrIpT:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;vascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](java&#09;script:alert(1))",
    "[x](java&#10;script:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](\x01javascript:alert(1))",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/gif;base64,R0lGODlhAQABAAAAACw=)",
    "[x](vbscript:msgbox(1))",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body { display: none }</style>",
    '<a href="javascript:alert(1)">click</a>',
    "<details open ontoggle=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    '<p style="x:expression(alert(1))" onclick=alert(1)>x</p>',
    '[x](https://example.com "a" onmouseover="alert(1)")',
    "[x](https://example.com 'a\" onmouseover=\"alert(1)')",
    '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    '[x](https://example.com "&quot; onmouseover=&quot;alert(1)")',
    '![x](https://example.com/a.png "a\\" onerror=\\"alert(1)")',
    "<javascript:alert(1)>",
    "<JavaScript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    "[x][evil]\n\n[evil]: <javascript:alert(1)>",
    '![x][evil]\n\n[evil]: javascript:alert(1) "t"',
    "[x]\n\n[x]: data:text/html,<script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "<scr<script>ipt>alert(1)</script>",
    "`<script>`<script>alert(1)</script>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_MARKDOWN)
def test_xss_payload_in_markdown_is_harmless(payload):
    assert_harmless(markdown.render(payload).html)


XSS_HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    "<svg onload=alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<style>*{}</style>",
    "<details open ontoggle=alert(1)>x</details>",
    '<a href="https://example.com" onmouseover="alert(1)">x</a>',
    '<img src="https://example.com/a.png" style="behavior:url(x)">',
]


@pytest.mark.parametrize("payload", XSS_HTML)
def test_sanitiser_alone_cleans_html_that_slipped_past_the_renderer(payload):
    """The second line of defence: even HTML the renderer should never emit is cleaned."""
    assert_harmless(markdown.sanitise(payload))


def test_sanitiser_keeps_safe_links():
    doc = parse(markdown.sanitise('<a href="https://example.com/a">a</a> <a href="mailto:x@example.com">m</a>'))
    assert [attrs["href"] for attrs, _ in doc.links] == ["https://example.com/a", "mailto:x@example.com"]


def test_harmless_check_itself_catches_dangerous_html():
    """Guards the assertions above: the checker must reject what it is meant to reject."""
    for html in [
        "<script></script>",
        '<a href="java\tscript:x">x</a>',
        "<img src=x onerror=y>",
        '<a href=" JAVASCRIPT:x">',
        '<img src="data:x">',
    ]:
        with pytest.raises(AssertionError):
            assert_harmless(html)


# --- Mentions ---------------------------------------------------------------------------


@pytest.fixture
def alice(db):
    return factories.user("alice")


def mention_links(html):
    return [(attrs["href"], text) for attrs, text in parse(html).links if "mention" in attrs.get("class", "")]


def test_mention_of_a_member_links_to_her_profile(alice):
    rendered = markdown.render("Thanks @alice, see you.")
    assert mention_links(rendered.html) == [("/u/alice/", "@alice")]
    assert rendered.mentions == ["alice"]


def test_mention_is_case_insensitive_and_shows_the_stored_name(alice):
    rendered = markdown.render("Hey @ALICE!")
    assert mention_links(rendered.html) == [("/u/alice/", "@alice")]
    assert rendered.mentions == ["alice"]


def test_mention_at_the_end_of_a_sentence(alice):
    rendered = markdown.render("Ask @alice.")
    assert mention_links(rendered.html) == [("/u/alice/", "@alice")]
    assert parse(rendered.html).text.strip() == "Ask @alice."


@pytest.mark.django_db
def test_unknown_member_is_left_as_plain_text():
    rendered = markdown.render("Hello @nobody_here")
    assert parse(rendered.html).links == []
    assert "@nobody_here" in parse(rendered.html).text
    assert rendered.mentions == []


@pytest.mark.django_db
def test_inactive_member_is_not_linked():
    factories.user("ghost", is_active=False)
    rendered = markdown.render("@ghost")
    assert mention_links(rendered.html) == []
    assert rendered.mentions == []


@pytest.mark.parametrize(
    "source",
    ["`@alice`", "```\n@alice\n```", "    @alice indented code", "~~~python\nprint('@alice')\n~~~"],
)
def test_no_mention_inside_code(alice, source):
    rendered = markdown.render(source)
    assert mention_links(rendered.html) == []
    assert "@alice" in parse(rendered.html).text
    assert rendered.mentions == []


@pytest.mark.parametrize("source", ["mail bob@alice.com today", "x@alice", "see example.com/@alice"])
def test_no_mention_inside_emails_or_paths(alice, source):
    rendered = markdown.render(source)
    assert mention_links(rendered.html) == []
    assert rendered.mentions == []


def test_each_member_is_listed_once_in_order(alice):
    factories.user("bob")
    rendered = markdown.render("@bob and @alice, then @Alice and @bob again")
    assert rendered.mentions == ["bob", "alice"]
    assert len(mention_links(rendered.html)) == 4


def test_mentioned_name_with_dots(db):
    factories.user("Carl.X")
    rendered = markdown.render("cc @carl.x.")
    assert mention_links(rendered.html) == [("/u/Carl.X/", "@Carl.X")]
    assert rendered.mentions == ["Carl.X"]


def test_mention_inside_link_text_does_not_break_the_link(alice):
    doc = parse(markdown.render("[ask @alice about it](https://example.com/faq)").html)
    assert [(attrs["href"], text) for attrs, text in doc.links] == [("https://example.com/faq", "ask @alice about it")]


# --- Quoting ------------------------------------------------------------------------------


def test_quote_quotes_every_line_and_names_the_author():
    text = markdown.quote(author_name="alice", body="first line\n\nsecond line\nthird line\n")
    lines = text.rstrip("\n").splitlines()
    assert all(line.startswith(">") for line in lines), text
    assert "alice" in lines[0]
    for original in ("first line", "second line", "third line"):
        assert f"> {original}" in lines


@pytest.mark.django_db
def test_quote_renders_as_one_blockquote_with_the_whole_post():
    factories.user("alice")
    body = "Great deal\n\n- item one\n- item two\n\nBye"
    doc = parse(markdown.render(markdown.quote(author_name="alice", body=body) + "I agree").html)
    assert doc.tags().count("blockquote") == 1
    # the reply after the quote is outside the blockquote
    html = markdown.render(markdown.quote(author_name="alice", body=body) + "I agree").html
    inside, after = html.split("</blockquote>")
    for text in ("alice", "Great deal", "item one", "item two", "Bye"):
        assert text in inside
    assert "I agree" in after and "I agree" not in inside


def test_quote_of_a_quote_nests():
    text = markdown.quote(author_name="bob", body="> older words\nmy answer")
    assert "> > older words" in text.splitlines()
