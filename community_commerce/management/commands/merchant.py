"""`manage.py merchant verify|suspend <username> [--reason ...]`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from community_commerce.errors import CommerceError
from community_commerce.models import Merchant
from community_commerce.services import merchants


class Command(BaseCommand):
    help = "Verify or suspend a member's merchant profile, recording the reason."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "suspend"])
        parser.add_argument("username")
        parser.add_argument("--reason", default="")
        parser.add_argument(
            "--shop", help="Create the merchant profile with this shop name if the member has none (verify only)."
        )

    def handle(self, *args, action, username, reason, shop, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No member named {username!r}.")
        merchant = Merchant.objects.filter(user=user).first()
        if merchant is None:
            if action != "verify" or not shop:
                raise CommandError(f"{username} has not applied to sell (use --shop NAME to create the profile).")
            merchant = merchants.apply(user=user, display_name=shop, contact=user.email or username)
        try:
            fn = merchants.verify if action == "verify" else merchants.suspend
            changed = fn(merchant=merchant, actor=None, reason=reason)
        except CommerceError as exc:
            raise CommandError(exc.message) from None
        state = "now" if changed else "already"
        self.stdout.write(self.style.SUCCESS(f"{merchant.display_name} ({username}) is {state} {merchant.status}."))
