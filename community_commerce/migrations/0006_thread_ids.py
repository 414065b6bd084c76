"""Offers and thread statistics hold the forum's thread id as a plain integer, not a
foreign key to the bundled forum's Thread, so the plugin serves any forum (the forum
adapter resolves the id) and a thread deleted by the forum never hits a PROTECT.

On a bundled-forum site the database keeps its column (``thread_id``), its values and
its index; only the foreign key constraint goes. On any other site migrations 0001 and
0003 created the integer already (see _forum.py) and this migration does nothing.
"""

import django.db.models.deletion
from django.db import migrations, models

from community_commerce.migrations._forum import BUNDLED, FORUM_DEPENDENCIES

TABLES = {"offer": "offers", "threadviewday": "+", "threadviewer": "+"}  # model: its old related_name


def _database():
    """The foreign keys lose their constraint; column, values and index stay."""
    return [
        migrations.AlterField(
            model_name=model,
            name="thread",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name=related_name,
                to="forum.thread",
            ),
        )
        for model, related_name in TABLES.items()
    ]


def _state():
    """In the model state the foreign key ``thread`` becomes the integer ``thread_id``
    (the same column), and the constraints that named it name the new field."""
    operations = [
        migrations.RemoveConstraint(model_name="threadviewday", name="cc_thread_view_day_once"),
        migrations.RemoveConstraint(model_name="threadviewer", name="cc_thread_viewer_once"),
        migrations.RemoveIndex(model_name="threadviewer", name="cc_thread_viewer_day"),
    ]
    for model in TABLES:
        operations += [
            migrations.RemoveField(model_name=model, name="thread"),
            migrations.AddField(model_name=model, name="thread_id", field=models.BigIntegerField(db_index=True)),
        ]
    return operations + [
        migrations.AddConstraint(
            model_name="threadviewday",
            constraint=models.UniqueConstraint(fields=("thread_id", "day"), name="cc_thread_view_day_once"),
        ),
        migrations.AddConstraint(
            model_name="threadviewer",
            constraint=models.UniqueConstraint(fields=("thread_id", "day", "viewer"), name="cc_thread_viewer_once"),
        ),
        migrations.AddIndex(
            model_name="threadviewer",
            index=models.Index(fields=["day", "thread_id"], name="cc_thread_viewer_day"),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("community_commerce", "0005_claim_notified_at"),
        *FORUM_DEPENDENCIES,
    ]

    operations = (
        [migrations.SeparateDatabaseAndState(database_operations=_database(), state_operations=_state())]
        if BUNDLED
        else []
    )
