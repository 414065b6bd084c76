"""Markdown to sanitised HTML, with @mentions.

markdown-it renders with raw HTML off; nh3 then cleans the result against an
allow-list, so a renderer bug still cannot let a script through. Only
mentions of existing members become links, and the renderer reports them so
the caller can notify exactly those members.
"""

import re
from dataclasses import dataclass, field

import nh3
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

MENTION_RE = re.compile(r"(?<![\w@/.])@([\w.+-]{1,150})")
MAX_MENTIONS = 30

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "span": {"class"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass
class Rendered:
    html: str
    mentions: list[str] = field(default_factory=list)  # usernames, as stored


def _mention_rule(state, silent):
    pos = state.pos
    if state.src[pos] != "@" or state.linkLevel > 0:  # no link inside a link's text
        return False
    if pos > 0 and re.match(r"[\w@/.]", state.src[pos - 1]):
        return False
    match = MENTION_RE.match(state.src, pos)
    if not match:
        return False
    name = match.group(1).rstrip(".")
    username = state.env.get("members", {}).get(name.lower())
    if not username:
        return False
    if not silent:
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": reverse("forum:profile", args=[username]), "class": "mention"}
        state.push("text", "", 0).content = f"@{username}"
        state.push("link_close", "a", -1)
        state.env.setdefault("mentioned", []).append(username)
    state.pos = pos + 1 + len(name)
    return True


_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])
_md.inline.ruler.before("emphasis", "mention", _mention_rule)


def _members_named(source: str) -> dict[str, str]:
    names = {m.group(1).rstrip(".").lower() for m in MENTION_RE.finditer(source)}
    names = sorted(names)[:MAX_MENTIONS]
    if not names:
        return {}
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    users = get_user_model().objects.filter(query, is_active=True).values_list("username", flat=True)
    return {u.lower(): u for u in users}


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener noreferrer",
        strip_comments=True,
    )


def render(source: str) -> Rendered:
    env = {"members": _members_named(source)}
    html = _md.render(source, env)
    mentioned = list(dict.fromkeys(env.get("mentioned", [])))
    return Rendered(html=sanitise(html), mentions=mentioned)


def quote(*, author_name: str, body: str) -> str:
    """The markdown put in the reply box when a member quotes a post."""
    lines = body.strip().splitlines() or [""]
    quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
    header = _("**@%(name)s** wrote:") % {"name": author_name}
    return f"> {header}\n>\n{quoted}\n\n"


def plain_event(text: str) -> str:
    """Thread events are plain text, escaped."""
    return f"<p>{escape(text)}</p>"
