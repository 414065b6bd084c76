"""Glue: a browser's share-link visit follows the visitor into their account when they
sign up (allauth's ``user_signed_up``: a referral is recorded) or log in (Django's
``user_logged_in``). The rules are in services/links.py; attribution never breaks a login."""

import logging

log = logging.getLogger(__name__)


def _carry(request, user, *, signed_up):
    if request is None:
        return
    from community_commerce.services import links

    try:
        links.carry_over(request=request, user=user, signed_up=signed_up)
    except Exception:
        log.exception("carrying the share link of member %s over failed", user.pk)


def on_signed_up(sender, request=None, user=None, **kwargs):
    _carry(request, user, signed_up=True)


def on_logged_in(sender, request=None, user=None, **kwargs):
    _carry(request, user, signed_up=False)


def connect():
    from django.apps import apps
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(on_logged_in, dispatch_uid="community_commerce.links.logged_in")
    if apps.is_installed("allauth.account"):
        from allauth.account.signals import user_signed_up

        user_signed_up.connect(on_signed_up, dispatch_uid="community_commerce.links.signed_up")
