"""4. The thread page: a thread of 200 posts with three offers (one of each
kind, the reader holding claims on two) against the same thread without
offers (the baseline), read by a member and by a visitor, first and last page,
through Django's test client in this process: queries and time."""

import os
import re
import time
from collections import Counter

from bench.common import median, members

TITLE = "4. The thread page with and without offers"

POSTS = 200
READS = 30


def build_thread(seller, category, authors, title):
    from forum import markdown
    from forum.models import Post, Thread
    from tests import factories

    thread = factories.thread(author=seller.user, category_=category, title=title)
    bodies = [f"Reply {i}: **bold**, a [link](https://example.com/{i}) and some text." for i in range(POSTS - 1)]
    Post.objects.bulk_create(
        [Post(thread=thread, author=authors[i % len(authors)], body=b, html=markdown.render(b).html)
         for i, b in enumerate(bodies)]
    )  # fmt: skip
    Thread.objects.filter(pk=thread.pk).update(reply_count=POSTS - 1)
    return thread


def table_of(sql):
    found = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
    return found.group(1) if found else sql.split()[0]


def measure(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm: templates, caches, the view counter's first insert
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    count = len(queries)  # now: the next request empties the log it reads
    if os.environ.get("BENCH_SHOW_SQL"):
        print(url, *(q["sql"][:160] for q in queries.captured_queries), sep="\n    ")
    tables = Counter(table_of(q["sql"]) for q in queries.captured_queries)
    times = []
    for _ in range(READS):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return count, median(times) * 1000, tables


def run(out):
    from django.test import Client

    from community_commerce.services.claim import claim
    from tests import factories

    seller = factories.merchant()
    category = factories.category("Deals bench", commerce_enabled=True)
    authors = members(20, "author")
    reader = members(1, "reader")[0]
    with_offers = build_thread(seller, category, authors, "With offers")
    without = build_thread(seller, category, authors, "Without offers")
    offers = [
        factories.offer(kind, merchant_=seller, thread_=with_offers, stock=None if kind == "group_buy" else 50)
        for kind in ("group_buy", "flash_sale", "dutch_auction")
    ]
    claim(offer_id=offers[0].pk, buyer=reader, quantity=2)
    claim(offer_id=offers[1].pk, buyer=reader, quantity=1)

    member, visitor = Client(), Client()
    member.force_login(reader)
    rows = []
    for who, client in (("member", member), ("visitor", visitor)):
        for page in (1, 10):
            base = measure(client, f"{without.get_absolute_url()}?page={page}")
            offered = measure(client, f"{with_offers.get_absolute_url()}?page={page}")
            rows.append({"who": who, "page": page, "base": base[:2], "offers": offered[:2]})
            out.line(
                f"{who:7s} page {page:2d}: without offers {base[0]:2d} queries {base[1]:6.1f} ms | "
                f"with 3 offers {offered[0]:2d} queries {offered[1]:6.1f} ms | "
                f"extra queries {offered[0] - base[0]:+d}, time ratio {offered[1] / base[1]:.2f}"
            )
            extra = offered[2] - base[2]
            out.line(
                f"   the extra queries read: {', '.join(f'{t} x{n}' for t, n in sorted(extra.items())) or 'nothing'}"
            )
    return {"rows": rows, "posts": POSTS}
