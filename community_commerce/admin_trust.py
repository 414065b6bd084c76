"""Buyer protection in the admin (imported by admin.py): disputes and ratings to look up,
and the shops whose dispute rate passed COMMUNITY_COMMERCE_DISPUTE_FLAG_RATE, flagged for
staff on the admin's front page. Nothing is decided here: disputes are settled on their
own page and comments hidden on the shop's page, by the services the site uses, so the
rules stay in one place. A flagged shop is not suspended: staff look, then decide."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from community_commerce.models import Dispute, DisputeMessage, FlaggedMerchant, Rating
from community_commerce.templatetags.commerce import commerce_percent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Looked at here, changed only through the site's services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

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
class DisputeAdmin(ReadOnlyAdmin):
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
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["order", "merchant", "stars", "published_at", "replied_at", "hidden_at"]
    list_filter = ["stars", ("published_at", admin.EmptyFieldListFilter), ("hidden_at", admin.EmptyFieldListFilter)]
    search_fields = ["order__number", "merchant__display_name", "comment"]
    list_select_related = ["order", "merchant"]


@admin.register(FlaggedMerchant)
class FlaggedMerchantAdmin(ReadOnlyAdmin):
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
