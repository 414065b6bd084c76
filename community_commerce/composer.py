"""The "attach an offer" section of a forum's new-thread form.

Glue only, for any forum: its adapter calls ``composer.render``, ``validate`` and
``save`` from the forum's own form (the bundled forum's ComposerSection is in
adapters/bundled.py), telling whether the category allows commerce and, once the
thread exists, its id. The fields are the add-offer page's OfferForm under the prefix
"offer", the checks are services.post_offer's, and the offer is created by
services.post_offer.create_offer inside the forum's transaction, so an offer that
fails takes the new thread down with it.

Errors travel through the forum as ``{"offer-<service name>": [...]}`` (for
example "offer-terms.tiers.1.unit_price"), and ``{"offer": [...]}`` for those of
the offer as a whole, so they never mix with another section's.
"""

from django.forms.utils import ErrorList
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from community_commerce.errors import CommerceError, InvalidInput
from community_commerce.forms import OfferForm
from community_commerce.services import merchants, post_offer
from community_commerce.views.composer import preview_html

PREFIX = "offer"
ATTACH = f"{PREFIX}-attach"
WHOLE = PREFIX  # the errors key of messages about the offer as a whole


def attached(data) -> bool:
    """The merchant ticked "attach this offer"; otherwise the offer fields are ignored."""
    return data is not None and str(data.get(ATTACH, "")).lower() not in ("", "0", "false", "off")


def _service_fields(data) -> dict:
    """The typed offer as services.post_offer takes it, or InvalidInput with the form's errors."""
    form = OfferForm(data, prefix=PREFIX)
    if not form.is_valid():
        raise InvalidInput(fields={name: list(messages) for name, messages in form.errors.items()})
    return form.service_fields()


def _errors(exc: CommerceError) -> dict[str, list[str]]:
    if exc.fields:
        return {
            WHOLE if name == "__all__" else f"{PREFIX}-{name}": [str(m) for m in messages]
            for name, messages in exc.fields.items()
        }
    return {WHOLE: [exc.message]}


def _own(errors) -> dict[str, list[str]]:
    return {k: v for k, v in (errors or {}).items() if k == WHOLE or k.startswith(f"{PREFIX}-")}


def _may_sell(user, commerce_enabled) -> bool:
    if not commerce_enabled:
        return False
    try:
        merchants.verified_merchant_of(user)
    except CommerceError:
        return False
    return True


def _form(data, is_attached, errors):
    """The offer form as shown: bound (with its errors) once the offer was sent
    attached; otherwise unbound, showing whatever was typed without complaining."""
    if data is not None and is_attached:
        form = OfferForm(data, prefix=PREFIX)
        form.is_valid()
        for key, messages in errors.items():
            name = "__all__" if key == WHOLE else key.removeprefix(f"{PREFIX}-")
            field = name.removeprefix("terms.").split(".")[0]
            field = field if field in form.fields else None
            shown = form.errors.get(field or "__all__", ErrorList())
            new = [m for m in messages if m not in shown]
            if new:
                form.add_service_errors({field or "__all__": new})
    else:
        initial = {}
        if data is not None:
            probe = OfferForm(prefix=PREFIX)
            for name, field in probe.fields.items():
                value = field.widget.value_from_datadict(data, {}, probe.add_prefix(name))
                if value not in (None, ""):
                    initial[name] = value
        form = OfferForm(prefix=PREFIX, initial=initial)
    form.use_required_attribute = False  # the thread may be started without an offer
    return form


class OfferComposer:
    """``render`` the section (with what was posted and the errors of the last try),
    ``validate`` the posted data before anything is saved, ``save`` in the new thread's
    transaction: errors returned by ``save`` must roll the thread back."""

    def render(self, request, *, commerce_enabled, data, errors) -> str:
        mine = _own(errors)
        if not _may_sell(request.user, commerce_enabled):
            if not mine:  # members who cannot sell here never see the section
                return ""
            messages = [m for messages in mine.values() for m in messages]
            return render_to_string(
                "community_commerce/composer_section.html",
                {"refused": messages, "show_apply": commerce_enabled},
                request=request,
            )
        is_attached = attached(data)
        context = {
            "form": _form(data, is_attached, mine),
            "attached": is_attached,
            "open": is_attached or bool(mine),
            "has_errors": bool(mine),
            "preview": preview_html(request, data or {}, prefix=PREFIX),
        }
        return render_to_string("community_commerce/composer_section.html", context, request=request)

    def validate(self, request, *, commerce_enabled, data) -> dict[str, list[str]]:
        if not attached(data):
            return {}
        if not commerce_enabled:
            return {WHOLE: [_("Offers can only be posted in deal categories.")]}
        try:
            merchants.verified_merchant_of(request.user)  # first: a member who cannot sell hears that
            post_offer.check_offer(user=request.user, now=timezone.now(), **_service_fields(data))
        except CommerceError as exc:
            return _errors(exc)
        return {}

    def save(self, request, *, thread_id, data) -> dict[str, list[str]]:
        if not attached(data):
            return {}
        try:
            post_offer.create_offer(user=request.user, thread_id=thread_id, **_service_fields(data))
        except CommerceError as exc:
            return _errors(exc)
        return {}


composer = OfferComposer()
