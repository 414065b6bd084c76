"""Demo deals for `make run`: the greengrocer is a verified merchant with one
thread per kind of offer in the `deals` category (a team buy with one open team that
needs one more member, a ten-minute guessing game with its first guesses), live or starting soon
(``--open-now``: all live at once, as `make run-machina` loads them), and a
month-long honey sale on which bob has one completed and rated order (with the
greengrocer's reply) and one open dispute, to follow from bob's, greengrocer's and
the moderators' side (mod, admin).

Idempotent: threads are made once; a thread whose demo offer has ended gets a
fresh one, so whoever runs the demo sees live deals. The past (demo_history.py: completed
and refunded-after-payment orders with their commissions) is made once; bob's rated order
is made once, and a new open dispute only when none is open (someone settled the last one).
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from community_commerce.adapters import get_adapter
from community_commerce.management import demo_history
from community_commerce.models import Dispute, Merchant, Offer, Order, Rating
from community_commerce.services import (
    claim,
    disputes,
    guesses,
    merchants,
    orders,
    post_offer,
    ratings,
    reputation,
    teams,
)

DEMO = [
    {
        "title": "Group-buy: organic apples, 5 kg boxes",
        "body": "Local orchard apples, picked this week. The more boxes we order together, the cheaper for everyone.",
        "offer": lambda now: {
            "kind": "group_buy",
            "title": "Organic apples, 5 kg box",
            "description": "Pick up at the shop on Saturday.",
            "starts_at": now,
            "ends_at": now + timedelta(days=2),
            "stock": 60,  # a new shop's offer has a bound: 60 x 19.90 is within its 2000 (services/limits.py)
            "per_user_limit": 5,
            "terms": {
                "unit_price": "19.90",
                "min_quantity": 10,
                "tiers": [{"min_quantity": 20, "unit_price": "17.90"}, {"min_quantity": 40, "unit_price": "15.90"}],
            },
        },
        "claims": [("alice", 2), ("bob", 3)],
    },
    {
        "title": "Flash sale: strawberry punnets at 18:00",
        "body": "Twenty punnets of fresh strawberries, half price, a few minutes from now. Two per neighbour.",
        "offer": lambda now: {
            "kind": "flash_sale",
            "title": "Strawberries, 500 g punnet",
            "description": "Pay within 15 minutes to keep your reservation.",
            "starts_at": now + timedelta(minutes=3),
            "ends_at": now + timedelta(hours=3),
            "stock": 20,
            "per_user_limit": 2,
            "terms": {"unit_price": "2.50", "reservation_minutes": 15},
        },
        "claims": [],
    },
    {
        "title": "Dutch auction: a crate of pumpkins",
        "body": "The price drops every minute until someone takes it. Eight crates.",
        "offer": lambda now: {
            "kind": "dutch_auction",
            "title": "Pumpkin crate",
            "description": "Great for soup. Delivered in the neighbourhood.",
            "starts_at": now,
            "ends_at": now + timedelta(hours=2),
            "stock": 8,
            "per_user_limit": 2,
            "terms": {"start_price": "40.00", "floor_price": "15.00", "step": "1.00", "step_seconds": 60},
        },
        "claims": [],
    },
    {
        "title": "Wildflower honey from the allotments",
        "body": "Our own bees, our own jars. Delivered to your door within three days.",
        "offer": lambda now: {
            "kind": "flash_sale",
            "title": "Wildflower honey, 450 g jar",
            "description": "Pay by bank transfer; we ship the day the money is in.",
            "starts_at": now,
            "ends_at": now + timedelta(days=30),
            "stock": 40,
            "per_user_limit": None,
            "terms": {"unit_price": "8.50", "reservation_minutes": 60},
        },
        "claims": [],
        "trust": True,  # bob's rated order and open dispute (seed_trust)
    },
    {
        "title": "Team buy: a basket of winter vegetables",
        "body": "Open a team or join one: three neighbours within a day and each basket costs 12.90 instead of 16.90.",
        "offer": lambda now: {
            "kind": "team_buy",
            "title": "Winter vegetable basket",
            "description": "Leeks, carrots, parsnips and a savoy cabbage. Pick up at the shop.",
            "starts_at": now,
            "ends_at": now + timedelta(days=2),
            "stock": 30,
            "per_user_limit": 2,
            "terms": {"unit_price": "12.90", "solo_price": "16.90", "team_size": 3, "team_hours": 24},
        },
        "claims": [],
        "team": ["alice", "bob"],  # alice opens a team, bob joins: it needs one more member
    },
    {
        "title": "Guess the lowest unique price: a hamper of local cheese",
        "body": "Guess an amount: the lowest amount only one member guesses wins the hamper at that price. "
        "Free to play in the demo; the game closes ten minutes after it opens.",
        "offer": lambda now: {
            "kind": "lowest_unique",
            "title": "Local cheese hamper",
            "description": "Five cheeses from the valley's farms.",
            "starts_at": now,
            "ends_at": now + timedelta(minutes=10),
            "stock": 1,
            "per_user_limit": None,
            "terms": {
                "min_guess": "0.01",
                "max_guess": "40.00",
                "entry_points": 0,
                "guesses_per_member": 3,
                "prize_value": "45.00",
            },
        },
        "claims": [],
        "guesses": [("alice", "0.50"), ("bob", "0.50"), ("alice", "1.20"), ("bob", "2.00")],
    },
]


class Command(BaseCommand):
    help = "Load the demo deals (run seed_demo first; safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--open-now", action="store_true", help="every demo deal opens at once (the flash sale too)"
        )

    def handle(self, *args, **options):
        users = get_user_model().objects
        grocer = users.filter(username="greengrocer").first()
        adapter = get_adapter()
        deals = adapter.find_category("deals")
        if grocer is None or deals is None:
            raise CommandError("Run `manage.py seed_demo` first.")
        merchant = Merchant.objects.filter(user=grocer).first() or merchants.apply(
            user=grocer,
            display_name="Corner Greengrocer",
            contact="12 Market Street, 555-0134",
            payment_instructions="Bank transfer to NL00 DEMO 0123 4567 89, or cash when you pick up.",
        )
        merchants.verify(merchant=merchant, reason="demo")
        now = timezone.now()
        honey = None
        for spec in DEMO:
            thread = adapter.find_thread(category_id=deals, title=spec["title"])
            if thread is None:
                thread = adapter.start_thread(author=grocer, category_id=deals, title=spec["title"], body=spec["body"])
            running = Offer.objects.filter(thread_id=thread.id, closed_at__isnull=True).exclude(status="cancelled")
            if running.exists():
                honey = running.first() if spec.get("trust") else honey
                continue
            fields = spec["offer"](now)
            if options["open_now"]:
                fields["starts_at"] = min(fields["starts_at"], now)
            offer = post_offer.create_offer(user=grocer, thread_id=thread.id, currency="EUR", **fields)
            honey = offer if spec.get("trust") else honey
            for username, quantity in spec["claims"]:
                buyer = users.filter(username=username).first()
                if buyer:
                    claim.claim(offer_id=offer.pk, buyer=buyer, quantity=quantity, idempotency_key=f"demo-{offer.pk}")
            seed_games(offer=offer, spec=spec, users=users)
        staff = users.filter(is_staff=True).order_by("pk").first()
        if demo_history.load(grocer=grocer, merchant=merchant, staff=staff):
            self.stdout.write("Demo history: two weeks of honey sales, with their commissions.")
        bob = users.filter(username="bob").first()
        if bob and honey:
            seed_trust(merchant=merchant, grocer=grocer, buyer=bob, offer=honey)
        self.stdout.write(self.style.SUCCESS("Demo deals ready."))


def seed_games(*, offer, spec, users):
    """A team buy's open team (the first member opens it, the others join, one seat stays
    free) and a guessing game's first guesses, made the way members make them."""
    members = [users.filter(username=name).first() for name in spec.get("team", [])]
    if members and all(members):
        team = teams.open_team(offer_id=offer.pk, leader=members[0], quantity=1)
        for member in members[1:]:
            teams.join_team(team_id=team.pk, member=member, quantity=1)
    for username, amount in spec.get("guesses", []):
        member = users.filter(username=username).first()
        if member:
            guesses.place_guess(offer_id=offer.pk, member=member, amount=amount)


def seed_trust(*, merchant, grocer, buyer, offer):
    """Bob's completed order, rated and answered, and an open dispute about a second one,
    made the way members make them (claims, the pipeline, the services)."""
    if not Rating.objects.filter(merchant=merchant, buyer=buyer).exists():
        order = _shipped_order(offer=offer, grocer=grocer, buyer=buyer)
        orders.transition(order_id=order.pk, to_status=Order.Status.COMPLETED, actor=buyer)
        rating = ratings.rate(
            order_id=order.pk, buyer=buyer, stars=5, comment="Lovely honey, at my door the day after I paid."
        )
        ratings.reply(rating_id=rating.pk, merchant_user=grocer, body="Thank you, bob! The bees send their regards.")
    if not Dispute.objects.filter(order__merchant=merchant, status=Dispute.Status.OPEN).exists():
        order = _shipped_order(offer=offer, grocer=grocer, buyer=buyer)
        dispute = disputes.open_dispute(
            order_id=order.pk,
            buyer=buyer,
            reason="not_received",
            details="Marked as shipped a week ago, but no jar has arrived yet.",
        )
        disputes.post_message(
            dispute_id=dispute.pk,
            author=grocer,
            body="Sorry, bob! It went out on Monday; the parcel service says it is at the depot.",
        )
    reputation.refresh(merchant.pk)


def _shipped_order(*, offer, grocer, buyer):
    taken, _ = claim.claim(offer_id=offer.pk, buyer=buyer, quantity=1)
    for step in (Order.Status.PAID, Order.Status.SHIPPED):
        orders.transition(order_id=taken.order.pk, to_status=step, actor=grocer)
    return taken.order
