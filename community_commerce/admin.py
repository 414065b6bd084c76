"""Operators' tools: verify or suspend merchants, cancel offers, cancel/refund orders,
each with the reason recorded, through the same services the site uses."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from community_commerce.errors import CommerceError
from community_commerce.models import (
    CategoryRate,
    Claim,
    CommissionEntry,
    Coupon,
    CouponGrant,
    CouponUse,
    Dispute,
    DisputeMessage,
    FlaggedMerchant,
    Guess,
    Merchant,
    MerchantEvent,
    Offer,
    Order,
    OrderEvent,
    Payout,
    PointsBalance,
    PointsEntry,
    Programme,
    PromotionCost,
    Rating,
    ShareLink,
    Team,
)
from community_commerce.money import format_money
from community_commerce.services import commissions, lifecycle, merchants, orders, payouts, points
from community_commerce.templatetags.commerce import commerce_percent


class ReasonForm(forms.Form):
    _selected_action = forms.CharField(widget=forms.MultipleHiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=300)


def _with_reason(modeladmin, request, queryset, *, title, apply):
    """An admin action that asks for a reason first, then applies ``apply(obj, reason)`` to each."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    done += bool(apply(obj, form.cleaned_data["reason"]))
                except CommerceError as exc:
                    modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            modeladmin.message_user(request, _("%(n)d changed.") % {"n": done}, messages.SUCCESS)
            return None
    else:
        form = ReasonForm(initial={"_selected_action": request.POST.getlist(ACTION_CHECKBOX_NAME)})
    return render(
        request,
        "community_commerce/admin/reason.html",
        {
            "title": title,
            "form": form,
            "objects": queryset,
            "action": request.POST["action"],
            "opts": modeladmin.model._meta,
        },
    )


class MerchantEventInline(admin.TabularInline):
    model = MerchantEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "from_status", "to_status", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "status", "status_reason", "created_at", "verified_at"]
    list_filter = ["status"]
    search_fields = ["display_name", "user__username", "contact"]
    readonly_fields = ["status", "status_reason", "verified_at", "created_at"]
    raw_id_fields = ["user"]
    inlines = [MerchantEventInline]
    actions = ["verify", "suspend"]

    @admin.action(description=_("Verify the selected merchants"))
    def verify(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            title=_("Verify merchants"),
            apply=lambda m, reason: merchants.verify(merchant=m, actor=request.user, reason=reason),
        )

    @admin.action(description=_("Suspend the selected merchants"))
    def suspend(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            title=_("Suspend merchants"),
            apply=lambda m, reason: merchants.suspend(merchant=m, actor=request.user, reason=reason),
        )


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 0
    can_delete = False
    fields = ["buyer", "quantity", "unit_price_shown", "status", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Unit price"))
    def unit_price_shown(self, claim):
        return format_money(claim.unit_price, claim.offer.currency)  # claim.offer: the page's offer, no query


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "merchant", "status", "sold", "stock", "starts_at", "ends_at", "closed_at"]
    list_filter = ["kind", "status", "currency"]
    search_fields = ["title", "merchant__display_name"]
    list_select_related = ["merchant"]
    raw_id_fields = ["merchant"]
    exclude = ["result_unit_price"]
    readonly_fields = ["sold", "status", "result_price", "cancel_reason", "revision", "opened_at", "closed_at"]
    inlines = [ClaimInline]
    actions = ["cancel"]

    def has_change_permission(self, request, obj=None):
        return False  # terms change through the merchant's pages/API, which freeze them after the first claim

    @admin.display(description=_("Final price"))
    def result_price(self, offer):
        return format_money(offer.result_unit_price, offer.currency) or "—"

    @admin.action(description=_("Cancel the selected offers (buyers are told)"))
    def cancel(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            title=_("Cancel offers"),
            apply=lambda o, reason: lifecycle.cancel_offer(offer_id=o.pk, actor=request.user, reason=reason),
        )


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "from_status", "to_status", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "offer", "buyer", "merchant", "quantity", "total_shown", "status", "created_at"]
    exclude = ["unit_price", "discount", "total"]
    readonly_fields = ["unit_price_shown", "discount_shown", "total_shown"]
    list_filter = ["status", "currency", "channel", "merchant"]
    search_fields = ["number", "buyer__username", "merchant__display_name", "offer__title"]
    list_select_related = ["offer", "buyer", "merchant"]
    inlines = [OrderEventInline]
    actions = ["cancel"]

    def has_change_permission(self, request, obj=None):
        return False  # orders move only through the pipeline

    @admin.display(description=_("Unit price"))
    def unit_price_shown(self, order):
        return format_money(order.unit_price, order.currency)

    @admin.display(description=_("Discount"))
    def discount_shown(self, order):
        return format_money(order.discount, order.currency)

    @admin.display(description=_("Total"), ordering="total")
    def total_shown(self, order):
        return format_money(order.total, order.currency)

    @admin.action(description=_("Cancel / refund the selected orders"))
    def cancel(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            title=_("Cancel or refund orders"),
            apply=lambda o, reason: orders.call_off(order_id=o.pk, actor=request.user, reason=reason)[1],
        )


# --- Coupons and share links: listed for operators, changed only through the services ---------------


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CouponUseInline(admin.TabularInline):
    model = CouponUse
    extra = 0
    can_delete = False
    fields = ["member", "claim", "status", "created_at", "released_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Coupon)
class CouponAdmin(_ReadOnly):
    list_display = ["code", "offer", "discount_type", "value", "uses", "max_uses", "handout", "handed_out", "channel"]
    list_filter = ["discount_type", "handout", "channel"]
    search_fields = ["code", "offer__title"]
    list_select_related = ["offer"]
    inlines = [CouponUseInline]


@admin.register(CouponUse)
class CouponUseAdmin(_ReadOnly):
    list_display = ["coupon", "member", "claim", "status", "created_at", "released_at"]
    list_filter = ["status"]
    search_fields = ["coupon__code", "member__username"]
    list_select_related = ["coupon", "member"]


@admin.register(CouponGrant)
class CouponGrantAdmin(_ReadOnly):
    list_display = ["coupon", "member", "taken_at"]
    search_fields = ["coupon__code", "member__username"]
    list_select_related = ["coupon", "member"]


@admin.register(ShareLink)
class ShareLinkAdmin(_ReadOnly):
    list_display = ["code", "owner", "kind", "channel", "offer", "created_at"]
    list_filter = ["kind", "channel"]
    search_fields = ["code", "owner__username", "offer__title"]
    list_select_related = ["owner", "offer"]


# --- The commission programme, the ledger and payouts (services/commissions.py, services/payouts.py) ---


class CategoryRateInline(admin.TabularInline):
    model = CategoryRate
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    """One programme: its empty fields fall back to the settings (community_commerce/conf.py)."""

    list_display = ["__str__", "forum_cps_percent", "referral_cps_percent", "cpa_amount", "updated_at"]
    inlines = [CategoryRateInline]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Programme.objects.exists()

    def changelist_view(self, request, extra_context=None):
        rates = commissions.programme()
        self.message_user(
            request,
            _("In force: forum CPS %(forum)s%%, referral CPS %(referral)s%%, CPA %(cpa)s.")
            % {
                "forum": rates["forum_cps_percent"],
                "referral": rates["referral_cps_percent"],
                "cpa": rates["cpa_amount"],
            },
            messages.INFO,
        )
        return super().changelist_view(request, extra_context)


class PayoutForm(forms.Form):
    _selected_action = forms.CharField(widget=forms.MultipleHiddenInput)
    reference = forms.CharField(label=_("Reference"), max_length=100, help_text=_("The bank transfer's reference."))
    up_to = forms.DateField(
        label=_("Approved up to"), help_text=_("YYYY-MM-DD; entries approved that day are included.")
    )


@admin.register(CommissionEntry)
class CommissionEntryAdmin(_ReadOnly):
    list_display = [
        "id", "order", "beneficiary", "member", "merchant", "kind", "amount_shown", "status", "reason", "created_at",
        "approved_at", "payout",
    ]  # fmt: skip
    list_filter = ["status", "kind", "beneficiary", "currency", "rule"]
    search_fields = ["order__number", "member__username", "merchant__display_name"]
    list_select_related = ["order", "member", "merchant", "payout"]
    actions = ["record_payout"]

    def has_delete_permission(self, request, obj=None):
        return False  # append-only

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_shown(self, entry):
        return format_money(entry.amount, entry.currency)

    @admin.action(description=_("Record a payout for the selected entries' beneficiaries"))
    def record_payout(self, request, queryset):
        if "apply" in request.POST:
            form = PayoutForm(request.POST)
            if form.is_valid():
                try:
                    made = payouts.record_for(
                        entries=queryset, up_to=form.cleaned_data["up_to"], reference=form.cleaned_data["reference"],
                        by=request.user,
                    )  # fmt: skip
                except CommerceError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                    return None
                for payout in made:
                    self.message_user(
                        request,
                        _("Payout %(reference)s: %(amount)s for %(entries)d entries.")
                        % {
                            "reference": payout.reference,
                            "amount": format_money(payout.amount, payout.currency),
                            "entries": payout.entries,
                        },
                        messages.SUCCESS,
                    )
                if not made:
                    self.message_user(request, _("Nothing approved to pay up to that date."), messages.WARNING)
                return None
        else:
            form = PayoutForm(
                initial={"_selected_action": request.POST.getlist(ACTION_CHECKBOX_NAME), "up_to": timezone.localdate()}
            )
        parties = [
            f"{p['merchant_id']} → {p['beneficiary']}{'' if p['member_id'] is None else ' ' + str(p['member_id'])} "
            f"({p['currency']})"
            for p in payouts.parties(queryset)
        ]
        return render(
            request,
            "community_commerce/admin/reason.html",
            {
                "title": _("Record a payout"),
                "form": form,
                "objects": parties,
                "action": request.POST["action"],
                "opts": self.model._meta,
            },
        )


class PayoutEntryInline(admin.TabularInline):
    model = CommissionEntry
    fk_name = "payout"
    extra = 0
    can_delete = False
    fields = ["order", "kind", "amount", "status", "reverses"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payout)
class PayoutAdmin(_ReadOnly):
    list_display = [
        "reference",
        "merchant",
        "beneficiary",
        "member",
        "currency",
        "amount",
        "entries",
        "up_to",
        "created_at",
    ]
    list_filter = ["beneficiary", "currency"]
    search_fields = ["reference", "merchant__display_name", "member__username"]
    inlines = [PayoutEntryInline]


@admin.register(PromotionCost)
class PromotionCostAdmin(_ReadOnly):
    list_display = ["offer", "channel", "amount", "currency", "spent_on", "note"]
    list_filter = ["channel", "currency"]
    search_fields = ["offer__title", "channel"]


# --- Buyer protection: disputes and ratings to look up, shops flagged for disputes ---------------
# Nothing is decided here: disputes are settled on their own page and comments hidden on the
# shop's page, by the services the site uses. A flagged shop (its dispute rate passed
# COMMUNITY_COMMERCE_DISPUTE_FLAG_RATE) is listed on the admin's front page for staff to
# review; nobody is suspended automatically.


class _Record(_ReadOnly):
    """A record of what happened between members: never deleted here either."""

    def has_delete_permission(self, request, obj=None):
        return False


class DisputeMessageInline(admin.TabularInline):
    model = DisputeMessage
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "author", "side", "body"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(_Record):
    list_display = ["order", "reason", "status", "created_at", "resolved_at", "page"]
    list_filter = ["status", "reason"]
    search_fields = ["order__number", "order__buyer__username", "order__merchant__display_name"]
    list_select_related = ["order"]
    inlines = [DisputeMessageInline]

    @admin.display(description=_("Page"))
    def page(self, dispute):
        url = reverse("community_commerce:dispute", args=[dispute.pk])
        return format_html('<a href="{}">{}</a>', url, _("The dispute's page"))


@admin.register(Rating)
class RatingAdmin(_Record):
    list_display = ["order", "merchant", "stars", "published_at", "replied_at", "hidden_at"]
    list_filter = ["stars", ("published_at", admin.EmptyFieldListFilter), ("hidden_at", admin.EmptyFieldListFilter)]
    search_fields = ["order__number", "merchant__display_name", "comment"]
    list_select_related = ["order", "merchant"]


@admin.register(FlaggedMerchant)
class FlaggedMerchantAdmin(_Record):
    """Shops to review: their dispute rate passed the threshold (services/reputation.py)."""

    list_display = ["display_name", "user", "status", "dispute_rate", "refunded_disputes", "open_disputes", "paid"]
    list_select_related = ["user", "reputation"]
    search_fields = ["display_name", "user__username"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(reputation__flagged=True)

    @admin.display(description=_("Dispute rate"), ordering="reputation__dispute_rate")
    def dispute_rate(self, merchant):
        return commerce_percent(merchant.reputation.dispute_rate)

    @admin.display(description=_("Refunded after a dispute"))
    def refunded_disputes(self, merchant):
        return merchant.reputation.refunded_disputes

    @admin.display(description=_("Open disputes"))
    def open_disputes(self, merchant):
        return merchant.reputation.open_disputes

    @admin.display(description=_("Orders paid"))
    def paid(self, merchant):
        return merchant.reputation.paid_orders


# --- Points and games: the ledger to read, staff adjustments (with a reason) the only write --------


class PointsAdjustmentForm(forms.ModelForm):
    """A staff adjustment: a member, a whole number of points (±) and why."""

    class Meta:
        model = PointsEntry
        fields = ["member", "amount", "reason"]
        help_texts = {"amount": _("Positive to give points, negative to take them.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True

    def clean(self):
        data = super().clean()
        try:
            data["amount"], data["reason"] = points.checked_adjustment(data.get("amount"), data.get("reason"))
        except CommerceError as exc:
            for field, problems in (exc.fields or {}).items():
                for problem in problems:
                    self.add_error(field, problem)
        return data


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    """Every entry of the ledger, read-only; "Add" records a staff adjustment through
    services/points.py (the balance moves in the same transaction)."""

    list_display = ["id", "member", "amount", "source", "state", "reason", "order", "actor", "created_at"]
    list_filter = ["source", "state"]
    search_fields = ["member__username", "reason", "order__number"]
    list_select_related = ["member", "order", "actor"]
    raw_id_fields = ["member"]

    def has_change_permission(self, request, obj=None):
        return False  # append-only: an entry is never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["member", "amount", "reason"]
        return [f.name for f in PointsEntry._meta.fields]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:  # the add page: a staff adjustment
            kwargs["form"] = PointsAdjustmentForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        entry = points.adjust(
            member=form.cleaned_data["member"], amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"], actor=request.user,
        )  # fmt: skip
        obj.pk, obj.created_at, obj.state, obj.source = entry.pk, entry.created_at, entry.state, entry.source


@admin.register(PointsBalance)
class PointsBalanceAdmin(_ReadOnly):
    list_display = ["member", "available", "pending", "earned_day", "earned_today"]
    search_fields = ["member__username"]
    list_select_related = ["member"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(_Record):
    list_display = ["id", "offer", "leader", "members", "size", "status", "expires_at", "closed_at"]
    list_filter = ["status"]
    search_fields = ["offer__title", "leader__username"]
    list_select_related = ["offer", "leader"]


@admin.register(Guess)
class GuessAdmin(_Record):
    """Guesses of closed games only: before the close nobody sees them, staff included."""

    list_display = ["offer", "member", "amount", "created_at"]
    search_fields = ["offer__title", "member__username"]
    list_select_related = ["offer", "member"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(offer__closed_at__isnull=False)
            .exclude(offer__status=Offer.Status.CANCELLED)
        )
