"""Each claim writes a claim, an order and a tally row (a team buy's a team row), and with
them every index of those tables: none may be kept twice (an index whose columns lead another one),
and the mostly empty foreign keys are indexed only where they are set."""

import pytest
from django.db import connection

from community_commerce.models import Claim, ClaimTally, Order, Team
from tests import factories

pytestmark = pytest.mark.django_db

HOT_TABLES = [Claim, ClaimTally, Order, Team]


def indexes_of(model):
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {name: info for name, info in found.items() if info["index"] or info["unique"]}


@pytest.mark.parametrize("model", HOT_TABLES, ids=lambda m: m.__name__)
def test_no_index_of_a_claim_s_rows_is_the_leading_part_of_another(model):
    indexes = indexes_of(model)
    partial = {c.name for c in [*model._meta.constraints, *model._meta.indexes] if getattr(c, "condition", None)}
    twice = []
    for name, info in indexes.items():
        if info["unique"] or info["primary_key"]:
            continue  # a constraint, not a lookup aid
        for other_name, other in indexes.items():
            longer = other_name != name and other_name not in partial and len(other["columns"]) > len(info["columns"])
            if longer and other["columns"][: len(info["columns"])] == info["columns"]:
                twice.append((name, other_name))
    assert twice == []


def test_the_order_number_is_unique_without_a_second_pattern_index():
    by_columns = [info["columns"] for info in indexes_of(Order).values()]
    assert by_columns.count(["number"]) == 1


@pytest.mark.parametrize(
    ("model", "column"),
    [(Claim, "link_id"), (Claim, "coupon_id"), (Claim, "team_id"), (Order, "coupon_id"), (Order, "link_id")],
)
def test_a_mostly_empty_foreign_key_has_only_a_partial_index(model, column):
    leading = [f for f in model._meta.indexes if model._meta.get_field(f.fields[0]).column == column]
    assert leading and all(index.condition is not None for index in leading)
    assert not model._meta.get_field(column.removesuffix("_id")).db_index


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
@pytest.mark.parametrize("model", [Claim, Order], ids=lambda m: m.__name__)
def test_a_member_s_newest_rows_are_read_from_their_own_index_whoever_holds_the_rest(model):
    """The bench caught it: with only an index on the buyer, PostgreSQL read "a member's 20
    newest claims" by walking the whole table backwards by id (46,000 rows for a member with
    none) once a few buyers held most rows. (buyer, id) answers it directly."""
    from tests.ledger_rows import bulk_orders

    offer = factories.offer("flash_sale", stock=None, terms={"unit_price": "2.00"})
    busy = [factories.user() for _ in range(3)]
    bulk_orders(offer=offer, buyers=busy, count=3000, entries=False)
    idle = factories.user()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {model._meta.db_table}")
    newest = model.objects.filter(buyer=idle).order_by("-id")[:20]
    sql, params = newest.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"{'cc_claim' if model is Claim else 'cc_order'}_buyer_recent" in plan, plan
