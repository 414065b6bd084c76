"""Run inside a `make run` site (its VAR_DIR: SQLite database, embedded Redis) by
the serving test and the crowd benchmark, as a command beside the running site:

    python -m tests.serve.stage sale MEMBERS STOCK   # members with app tokens, a live flash sale
    python -m tests.serve.stage books OFFER_ID       # what the database says was sold

Each prints one JSON object on its last line of output.
"""

import json
import os
import sys


def sale(count, stock):
    from django.db import transaction

    from community_commerce.models import Merchant
    from community_commerce.services import lifecycle
    from forum.models import Category
    from tests import factories
    from tests.concurrency.support import members, session_token

    seller = Merchant.objects.get(user__username="greengrocer")  # the demo's merchant
    thread = factories.commerce_thread(seller, category_=Category.objects.get(slug="deals"), title="Crowd sale")
    offer = factories.offer("flash_sale", merchant_=seller, thread_=thread, stock=stock, per_user_limit=1,
                            terms={"unit_price": "2.50"}, status="scheduled")  # fmt: skip
    lifecycle.open_offer(offer_id=offer.pk)  # as the sweeper opens a sale: its Redis gate is built
    with transaction.atomic():
        tokens = [session_token(m) for m in members(count, prefix=f"buyer{os.getpid()}x")]
    return {"offer": offer.pk, "thread": thread.pk, "page": thread.get_absolute_url(), "tokens": tokens}


def books(offer_id):
    from django.db.models import Sum

    from community_commerce.models import Claim, Offer, Order

    offer = Offer.objects.get(pk=offer_id)
    return {
        "stock": offer.stock,
        "sold": offer.sold,
        "status": offer.status,
        "orders": Order.objects.filter(offer=offer).aggregate(n=Sum("quantity"))["n"] or 0,
        "claims": Claim.objects.filter(offer=offer).count(),
    }


def main(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    command, *args = argv
    result = sale(int(args[0]), int(args[1])) if command == "sale" else books(int(args[0]))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
