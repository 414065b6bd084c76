"""Forms for the forum pages. Field checks reuse forum.limits, so a form and
the API refuse the same input with the same words."""

from django import forms
from django.utils.translation import gettext_lazy as _

from forum import limits
from forum.errors import InvalidInput
from forum.models import Category, MemberPreferences


class _LimitsMixin:
    """Run a forum.limits cleaner and turn its InvalidInput into a field error."""

    def _run(self, cleaner, name, **kwargs):
        try:
            return cleaner(self.cleaned_data.get(name), **kwargs)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.fields.get(name) or exc.message) from None


class ReplyForm(_LimitsMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": _("Markdown works here. @name mentions a member.")}),
        max_length=limits.BODY_MAX,
    )

    def clean_body(self):
        return self._run(limits.clean_body, "body")


class ThreadForm(ReplyForm):
    title = forms.CharField(label=_("Title"), max_length=limits.TITLE_MAX)
    field_order = ["title", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Your post")

    def clean_title(self):
        return self._run(limits.clean_title, "title")


class EditPostForm(ReplyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Post text")


class ReasonForm(_LimitsMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=limits.REASON_MAX, required=False)

    def clean_reason(self):
        return self._run(limits.clean_reason, "reason")


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this post?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )


class MoveForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Move to"), queryset=Category.objects.all())


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = MemberPreferences
        fields = ["email_notifications"]
