"""Share links and coupons on pages: the ``/r/<code>`` redirect, Share on an offer card,
a link's page (copy, Web Share, QR code), "My links", "My coupons", and the card's
coupon forms. Thin: each calls one service."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from community_commerce.errors import CommerceError
from community_commerce.forms import CampaignLinkForm, CouponForm
from community_commerce.models import Offer, ShareLink
from community_commerce.services import coupons, links


@require_GET
@never_cache
def visit(request, code):
    """302 to the link's target; the visit is counted in Redis and remembered in a cookie."""
    info = links.lookup(code)
    if info is None:
        raise Http404
    response = HttpResponseRedirect(info["url"])
    links.record_visit(request, response, info)
    return response


@login_required
@require_POST
def share(request, pk):
    """The card's Share: the member's own link to this offer, made on the first click."""
    try:
        link, _created = links.get_or_create_link(user=request.user, offer_id=pk)
    except CommerceError as exc:
        messages.error(request, exc.message)
        return redirect(get_object_or_404(Offer, pk=pk).get_absolute_url())
    return redirect("community_commerce:link", link.pk)


def _own_link(request, pk) -> ShareLink:
    return get_object_or_404(ShareLink.objects.select_related("offer"), pk=pk, owner=request.user)


def short_url(request, link) -> str:
    return request.build_absolute_uri(f"/r/{link.code}")


@login_required
def link_detail(request, pk):
    link = _own_link(request, pk)
    url = short_url(request, link)
    qr = segno.make(url, error="m")
    context = {
        "link": link,
        "url": url,
        "qr": qr.svg_inline(scale=5, title=url),
        "figures": links.link_figures([link])[link.pk],
        "title": link.offer.title if link.offer_id else "",
    }
    return render(request, "community_commerce/link_detail.html", context)


@login_required
def link_qr(request, pk):
    """The QR code as an SVG file, for a poster."""
    link = _own_link(request, pk)
    qr = segno.make(short_url(request, link), error="m")
    response = HttpResponse(qr.svg_inline(scale=10), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="link-{link.code}.svg"'
    return response


@login_required
def my_links(request):
    """The member's links with their figures; a merchant also makes campaign links here."""
    offers = list(links.merchant_offers_for_links(request.user))
    form = CampaignLinkForm(request.POST or None, offers=offers)
    if request.method == "POST" and form.is_valid():
        try:
            link, _created = links.get_or_create_link(
                user=request.user, offer_id=int(form.cleaned_data["offer"]), channel=form.cleaned_data["channel"]
            )
        except CommerceError as exc:
            for field, problems in (exc.fields or {None: [exc.message]}).items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            return redirect("community_commerce:link", link.pk)
    mine = list(links.links_of(request.user)[:200])
    figures = links.link_figures(mine)
    rows = [{"link": link, "url": short_url(request, link), **figures[link.pk]} for link in mine]
    return render(request, "community_commerce/my_links.html", {"rows": rows, "form": form if offers else None})


@login_required
def my_coupons(request):
    grants = list(coupons.my_coupons(request.user)[:200])
    return render(request, "community_commerce/my_coupons.html", {"grants": grants})


@login_required
@require_POST
def create_coupon(request, pk):
    """The merchant's coupon form on the card: a public code or a handout."""
    offer = get_object_or_404(Offer, pk=pk)
    form = CouponForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect(offer.get_absolute_url())
    try:
        coupon = coupons.create_coupon(user=request.user, offer_id=pk, **form.service_fields())
    except CommerceError as exc:
        problems = [" ".join(str(m) for m in msgs) for msgs in exc.fields.values()] if exc.fields else [exc.message]
        messages.error(request, " ".join(problems))
    else:
        if coupon.handout:
            messages.success(request, _("%(n)d coupons dropped in the thread.") % {"n": coupon.max_uses})
        else:
            messages.success(request, _("Coupon %(code)s created and posted in the thread.") % {"code": coupon.code})
    return redirect(offer.get_absolute_url())


@login_required
@require_POST
def take_coupon(request, pk):
    try:
        grant, created = coupons.take(coupon_id=pk, member=request.user)
    except CommerceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        coupon_offer = get_object_or_404(Offer, coupons__pk=pk)
        return redirect(coupon_offer.get_absolute_url())
    if created:
        messages.success(
            request, _("Coupon taken: %(code)s. It applies when you join or buy.") % {"code": grant.coupon.code}
        )
    else:
        messages.info(request, _("You already have this coupon: %(code)s.") % {"code": grant.coupon.code})
    return redirect(grant.coupon.offer.get_absolute_url())
