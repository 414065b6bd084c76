"""Migration 0006: offers and thread statistics keep the forum's thread id as a plain
integer. On a bundled-forum site the rows, their values and the index stay and only the
foreign key goes; on a site whose ``forum`` app is another forum (django-machina's label
is ``forum`` too) the migrations apply and never name the bundled forum's threads."""

import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from forum.models import Thread
from tests import factories as f
from tests.commerce.test_money_migration import migrate

ROOT = Path(__file__).resolve().parents[2]
BEFORE = [("community_commerce", "0005_claim_notified_at")]
AFTER = [("community_commerce", "0006_thread_ids")]
MODELS = ("Offer", "Claim", "Order", "OrderEvent", "ThreadViewDay", "ThreadViewer")


def rows(apps) -> dict:
    """What a database of the plugin holds, read through the models of one migration state."""
    Offer, Claim, Order, OrderEvent, ViewDay, Viewer = (apps.get_model("community_commerce", m) for m in MODELS)
    return {
        "offers": sorted(Offer.objects.values_list("id", "thread_id", "kind", "sold")),
        "claims": sorted(Claim.objects.values_list("id", "offer_id", "buyer_id", "quantity")),
        "orders": sorted(Order.objects.values_list("id", "number", "offer_id", "claim_id", "total")),
        "events": sorted(OrderEvent.objects.values_list("order_id", "reason")),
        "view_days": sorted(ViewDay.objects.values_list("thread_id", "day", "views")),
        "viewers": sorted(Viewer.objects.values_list("thread_id", "day", "viewer")),
    }


@pytest.mark.django_db(transaction=True)
def test_0006_keeps_every_offer_claim_order_and_view_and_drops_only_the_foreign_key():
    old = migrate(BEFORE)
    try:
        merchant = f.merchant_in(old)
        threads = [f.commerce_thread(merchant, title=f"Deals {i}") for i in range(2)]
        buyers = [f.user() for _ in range(3)]
        Offer, Claim, Order, OrderEvent, ViewDay, Viewer = (old.get_model("community_commerce", m) for m in MODELS)
        assert Offer._meta.get_field("thread").is_relation  # the state before: a foreign key
        now = timezone.now()
        offers = [
            Offer.objects.create(
                kind=kind, thread_id=thread.pk, merchant_id=merchant.pk, title=kind, currency="EUR",
                starts_at=now, ends_at=now + timedelta(days=1), stock=10, terms={"unit_price": "9.90"}, sold=i + 1,
            )
            for i, (kind, thread) in enumerate(zip(["flash_sale", "group_buy"], threads, strict=True))
        ]  # fmt: skip
        claims = [
            Claim.objects.create(offer_id=offers[i % 2].pk, buyer_id=b.pk, quantity=i + 1, unit_price=Decimal("9.90"))
            for i, b in enumerate(buyers)
        ]
        order = Order.objects.create(
            number="CC-7", offer_id=offers[0].pk, claim_id=claims[0].pk, buyer_id=buyers[0].pk,
            merchant_id=merchant.pk, quantity=1, unit_price=Decimal("9.90"), total=Decimal("9.90"), currency="EUR",
        )  # fmt: skip
        OrderEvent.objects.create(order_id=order.pk, to_status="pending_payment", reason="claimed")
        ViewDay.objects.create(thread_id=threads[0].pk, day=date(2026, 11, 1), views=42)
        Viewer.objects.create(thread_id=threads[0].pk, day=date(2026, 11, 1), viewer="m:1")
        before = rows(old)

        new = migrate(AFTER)
        Offer = new.get_model("community_commerce", "Offer")
        field = Offer._meta.get_field("thread_id")
        assert (field.get_internal_type(), field.is_relation, field.db_index) == ("BigIntegerField", False, True)
        assert not any(fld.is_relation and fld.name == "thread" for fld in Offer._meta.get_fields())
        after = rows(new)
        assert after == before
        assert [row[1] for row in after["offers"]] == [t.pk for t in threads]

        with connection.cursor() as cursor:
            table = Offer._meta.db_table
            constraints = connection.introspection.get_constraints(cursor, table)
        on_thread = [c for c in constraints.values() if c["columns"] == ["thread_id"]]
        assert [c["index"] for c in on_thread] == [True]  # the index stays
        assert not any(c["foreign_key"] for c in on_thread)  # the foreign key is gone

        # The database lets the forum delete a thread that carries an offer now (PROTECT did not).
        Thread.objects.filter(pk=threads[1].pk).delete()
        assert Offer.objects.filter(thread_id=threads[1].pk).count() == 1
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


CHECK_STATE = """
from django.db import connection
from django.db.migrations.loader import MigrationLoader

loader = MigrationLoader(connection)
nodes = [key for key in loader.graph.nodes if key[0] == "community_commerce"]
assert len(nodes) >= 7, nodes
for key in nodes:
    migration = loader.graph.nodes[key]
    assert not [d for d in migration.dependencies if d[0] == "forum"], (key, migration.dependencies)
    state = loader.project_state(key)
    for (app, _name), model in state.models.items():
        if app != "community_commerce":
            continue
        for name, field in model.fields.items():
            target = str(getattr(field, "related_model", None) or "").lower()
            assert not target.startswith("forum."), (key, model.name, name, target)
print("state clean")
"""


def test_the_migrations_apply_on_a_site_whose_forum_app_is_another_forum(tmp_path):
    """A stand-in site (tests/nonbundled): an app labelled "forum" that is not ours."""
    env = {**os.environ, "STUB_SITE_DB": str(tmp_path / "stub.sqlite3"), "PYTHONPATH": str(ROOT)}

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args, "--settings=tests.nonbundled.settings"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    migrated = manage("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying community_commerce.0006_thread_ids... OK" in migrated.stdout
    check = manage("makemigrations", "--check", "--dry-run")
    assert check.returncode == 0, check.stdout + check.stderr
    state = manage("shell", "-c", CHECK_STATE)
    assert state.returncode == 0, state.stderr
    assert "state clean" in state.stdout
