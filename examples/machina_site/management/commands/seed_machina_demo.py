"""Demo data of the machina site (`make run-machina`, before seed_commerce_demo): members,
a forum tree with a deals forum, permissions, a few topics. Safe to run again."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from community_commerce.adapters import get_adapter
from community_commerce.conf import conf
from examples.machina_site import demo


class Command(BaseCommand):
    help = "Load the machina site's demo members, forums and topics (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        forums = demo.load(get_adapter())
        if not get_adapter().commerce_enabled(forums["deals"].pk):
            raise CommandError(
                f"The Deals forum takes no offers: COMMUNITY_COMMERCE_MACHINA_DEALS_FORUMS is {conf.MACHINA_DEALS_FORUMS}"
            )
        self.stdout.write(self.style.SUCCESS("Demo forum ready."))
