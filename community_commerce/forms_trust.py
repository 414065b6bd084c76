"""Forms of buyer protection's pages (disputes, ratings, refunds). They gather input;
services/disputes.py, ratings.py and orders.py check it and answer with stable codes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from community_commerce.models import Dispute
from community_commerce.services import disputes, ratings


class DisputeForm(forms.Form):
    reason = forms.ChoiceField(label=_("What went wrong?"), choices=Dispute.Reason.choices, widget=forms.RadioSelect)
    details = forms.CharField(
        label=_("Details"),
        max_length=disputes.DETAILS_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, and what you would like: the merchant and the forum's staff read this."),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=disputes.BODY_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class ResolveForm(forms.Form):
    OUTCOMES = [
        ("refund", _("Refund: the order is refunded and its units go back")),
        ("reject", _("Reject: the order goes on where it was")),
    ]
    outcome = forms.ChoiceField(label=_("Decision"), choices=OUTCOMES, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why (the buyer and the merchant read this)"), max_length=300, widget=forms.TextInput()
    )


class RatingForm(forms.Form):
    STARS = [(n, str(n)) for n in range(5, 0, -1)]
    stars = forms.TypedChoiceField(label=_("Stars"), choices=STARS, coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("A short comment (optional)"),
        required=False,
        max_length=ratings.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your side of the deal"),
        max_length=ratings.REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonRequiredForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
