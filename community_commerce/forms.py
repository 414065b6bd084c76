"""Forms of the plugin's pages. They gather input; services validate it."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community_commerce.conf import conf
from community_commerce.models import Merchant, Offer


class MerchantApplicationForm(forms.ModelForm):
    class Meta:
        model = Merchant
        fields = ["display_name", "contact", "payment_instructions", "ships_within_days"]
        widgets = {"payment_instructions": forms.Textarea(attrs={"rows": 3})}


class ClaimForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=10_000,
        initial=1,
        error_messages={
            "min_value": _("Give a quantity of at least 1."),
            "max_value": _("At most 10,000 at once."),
            "invalid": _("Give a whole number of at least 1."),
            "required": _("Give a quantity of at least 1."),
        },
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


def _amount(label):
    """An amount field: the text as typed, read by money.parse_amount in the service
    (one parser for the form and the API; the currency decides the decimals)."""
    return forms.CharField(
        label=label, required=False, max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M") if dt else ""


class OfferForm(forms.Form):
    """Every kind's fields in one form; ``terms()`` picks those of the chosen kind."""

    kind = forms.ChoiceField(label=_("Kind of offer"), choices=Offer.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    currency = forms.CharField(label=_("Currency"), max_length=3, initial=conf.DEFAULT_CURRENCY)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    stock = forms.IntegerField(label=_("Units for sale"), required=False, min_value=1,
                               help_text=_("Required for flash sales, Dutch auctions and team buys; optional cap for a group-buy; a guessing game has one prize."))  # fmt: skip
    per_user_limit = forms.IntegerField(label=_("Limit per member"), required=False, min_value=1)
    # group-buy and flash sale
    unit_price = _amount(_("Unit price"))
    min_quantity = forms.IntegerField(label=_("Units needed to succeed"), required=False, min_value=1)
    tiers = forms.CharField(
        label=_("Tiers"), required=False,
        help_text=_("One per line: units and price, e.g. “30 17.90”. More units, lower price for everyone."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    reservation_minutes = forms.IntegerField(label=_("Minutes to pay"), required=False, min_value=1, initial=15)
    # Dutch auction
    start_price = _amount(_("Start price"))
    floor_price = _amount(_("Floor price"))
    step = _amount(_("Price drop per step"))
    step_seconds = forms.IntegerField(label=_("Seconds per step"), required=False, min_value=1)
    # team buy (unit_price is the team price)
    solo_price = _amount(_("Solo price"))
    team_size = forms.IntegerField(label=_("Members per team"), required=False, min_value=2, initial=3)
    team_hours = forms.IntegerField(label=_("Hours to fill a team"), required=False, min_value=1, initial=24)
    # lowest unique price
    min_guess = _amount(_("Lowest guess"))
    max_guess = _amount(_("Highest guess"))
    entry_points = forms.IntegerField(label=_("Points per guess"), required=False, min_value=0, initial=10)
    guesses_per_member = forms.IntegerField(label=_("Guesses per member"), required=False, min_value=1, initial=5)
    prize_value = _amount(_("Prize value"))

    TERM_FIELDS = {
        "group_buy": ["unit_price", "min_quantity", "tiers"],
        "flash_sale": ["unit_price", "reservation_minutes"],
        "dutch_auction": ["start_price", "floor_price", "step", "step_seconds", "reservation_minutes"],
        "team_buy": ["unit_price", "solo_price", "team_size", "team_hours"],
        "lowest_unique": ["min_guess", "max_guess", "entry_points", "guesses_per_member", "prize_value"],
    }

    def clean_tiers(self):
        tiers = []
        for n, line in enumerate(self.cleaned_data.get("tiers", "").splitlines(), start=1):
            parts = line.replace(",", " ").replace(":", " ").split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(_("Line %(n)d: write units then price, e.g. “30 17.90”.") % {"n": n})
            tiers.append({"min_quantity": parts[0], "unit_price": parts[1]})
        return tiers

    def service_fields(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        terms = {}
        for name in self.TERM_FIELDS[kind]:
            value = data.get(name)
            if value not in (None, "", []):
                terms[name] = str(value) if not isinstance(value, list) else value
        return {
            "kind": kind,
            "title": data["title"],
            "description": data.get("description", ""),
            "currency": data["currency"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "stock": data.get("stock"),
            "per_user_limit": data.get("per_user_limit"),
            "terms": terms,
        }

    def add_service_errors(self, fields: dict):
        """Show a service's field errors (``terms.unit_price``...) next to the form's fields."""
        for name, messages in fields.items():
            field = name.removeprefix("terms.").split(".")[0]
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class CouponForm(forms.Form):
    """The merchant's coupon form on an offer card: a handout of N coupons, or a public code."""

    HANDOUT, PUBLIC = "handout", "public"

    how = forms.ChoiceField(
        label=_("Hand out"),
        choices=[(HANDOUT, _("Drop coupons in the thread (one per member)")), (PUBLIC, _("A public code"))],
        initial=HANDOUT,
    )
    discount_type = forms.ChoiceField(
        label=_("Discount"), choices=[("amount", _("Amount off")), ("percent", _("Percent off"))], initial="amount"
    )
    value = forms.CharField(label=_("Value"), max_length=20)
    max_uses = forms.CharField(
        label=_("How many"), max_length=9, required=False, help_text=_("Required for a handout.")
    )
    code = forms.CharField(
        label=pgettext_lazy("coupon code", "Code"),
        max_length=60,
        required=False,
        help_text=_("Empty: a code is made up."),
    )
    min_quantity = forms.CharField(label=_("Minimum quantity"), max_length=9, required=False)
    ends_at = forms.DateTimeField(
        label=_("Valid until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    channel = forms.CharField(label=_("Channel"), max_length=40, required=False)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "handout": data["how"] == self.HANDOUT,
            "discount_type": data["discount_type"],
            "value": data["value"],
            "max_uses": data["max_uses"] or None,
            "code": data["code"] or None,
            "min_quantity": data["min_quantity"] or None,
            "ends_at": data["ends_at"],
            "channel": data["channel"] or None,
        }


class CampaignLinkForm(forms.Form):
    """A merchant's campaign link: one of their offers and a channel label."""

    offer = forms.ChoiceField(label=_("Offer"))
    channel = forms.CharField(
        label=_("Channel"), max_length=40, help_text=_("For example wechat-group, newsletter, poster.")
    )

    def __init__(self, *args, offers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].choices = [(str(o.pk), o.title) for o in offers]


class CostForm(forms.Form):
    """Money a merchant spent promoting an offer on a channel (services/reports.add_cost checks it)."""

    offer = forms.ChoiceField(label=_("Offer"))
    channel = forms.CharField(label=_("Channel"), max_length=40, help_text=_("For example wechat-group, poster."))
    amount = forms.CharField(label=_("Amount"), max_length=20, help_text=_("In the offer's currency."))
    spent_on = forms.DateField(label=_("Spent on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=pgettext_lazy("promotion cost", "Note"), max_length=200, required=False)

    def __init__(self, *args, offers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].choices = [(str(o.pk), f"{o.title} ({o.currency})") for o in offers]

    def service_fields(self) -> dict:
        data = self.cleaned_data
        spent_on = data.get("spent_on")
        return {
            "offer_id": int(data["offer"]),
            "channel": data["channel"],
            "amount": data["amount"],
            "note": data.get("note", ""),
            "spent_on": spent_on.isoformat() if spent_on else None,
        }
