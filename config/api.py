"""The JSON API v1: one NinjaAPI, the routers of each app, one error format.

Every non-2xx answer is ``{"code", "message", "fields"?}`` (shared/API.md); the
routers declare which ones each operation gives with forum.api_types.errors().
Members authenticate with allauth's X-Session-Token or the session cookie. The site of
examples/machina_site serves the same API, without the bundled forum's part.
"""

from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyHeader, SessionAuth

from community_commerce.api import router as commerce_router
from community_commerce.errors import CommerceError
from config.api_input import JsonParser, NullCharacter, UnsupportedMediaType
from forum.errors import FloodControl, ForumError

STATUS_CODES = {400: "invalid", 401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited"}  # fmt: skip


class CsrfFailed(Exception):
    """A member's session cookie without its CSRF token."""


class SessionToken(APIKeyHeader):
    """allauth's X-Session-Token. The site middleware has usually found its member
    already (config.middleware.SessionTokenUserMiddleware): no second lookup."""

    param_name = "X-Session-Token"

    def authenticate(self, request, key):
        user = getattr(request, "token_user", None)
        if user is not None:
            return user
        found = authenticate_by_x_session_token(key) if key else None
        return found[0] if found else None


class SessionCookie(SessionAuth):
    """Django's session cookie, checked for CSRF only when it carries a member: a
    request with no session is not logged in (401), not a CSRF failure."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        try:
            return super()._get_key(request)
        except HttpError as exc:  # ninja's "CSRF check Failed"
            raise CsrfFailed from exc


api = NinjaAPI(
    title="community_commerce API",
    version="1",
    urls_namespace="api-v1",
    auth=[SessionToken(), SessionCookie()],
    parser=JsonParser(),
)


def error(request, status, code, message, fields=None, headers=None):
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ForumError)
def forum_error(request, exc):
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, FloodControl) else None
    return error(request, exc.status, exc.code, exc.message, exc.fields, headers)


@api.exception_handler(CommerceError)
def commerce_error(request, exc):
    return error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    fields = {}
    for item in exc.errors:
        loc = [str(p) for p in item.get("loc", [])]
        if loc[:1] in (["body"], ["query"], ["path"]):  # ("body", "payload", "title"): drop the source
            loc = loc[2:] if loc[:1] == ["body"] and len(loc) > 2 else loc[1:]
        fields.setdefault(".".join(loc) or "__all__", []).append(item.get("msg", "invalid"))
    return error(request, 400, "invalid", _("The request is not valid."), fields)


@api.exception_handler(AuthenticationError)
def not_authenticated(request, exc):
    return error(request, 401, "not_authenticated", _("Log in first (X-Session-Token or session cookie)."))


@api.exception_handler(Http404)
def not_found(request, exc):
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return error(request, 403, "forbidden", str(exc) or _("You are not allowed to do that."))


@api.exception_handler(CsrfFailed)
def csrf_failed(request, exc):
    return error(
        request, 403, "csrf_failed", _("CSRF check failed: send the X-CSRFToken header with the session cookie.")
    )


@api.exception_handler(SuspiciousOperation)
def suspicious(request, exc):
    """What Django refuses to parse (over 1,000 query parameters, a malformed multipart body):
    the API's 400, not Django's HTML page (nor a 500 traceback with DEBUG)."""
    return error(request, 400, "invalid", _("The request is not valid."))


@api.exception_handler(RequestDataTooBig)
def payload_too_large(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error(
        request, 413, "payload_too_large", _("The request body is larger than %(limit)d bytes.") % {"limit": limit}
    )


@api.exception_handler(UnsupportedMediaType)
def unsupported_media_type(request, exc):
    return error(request, 415, "unsupported_media_type", _("Send the body as JSON (Content-Type: application/json)."))


@api.exception_handler(NullCharacter)
def null_character(request, exc):
    return error(
        request, 400, "invalid", _("The request is not valid."), {field: [str(exc.message)] for field in exc.fields}
    )


@api.exception_handler(HttpError)
def http_error(request, exc):
    if isinstance(exc.__cause__, UnsupportedMediaType | NullCharacter):  # ninja wraps parser errors in a 400
        return api.on_exception(request, exc.__cause__)
    return error(request, exc.status_code, STATUS_CODES.get(exc.status_code, "error"), str(exc))


def unknown_path(request, *args, **kwargs):
    """Any other address under /api/: the JSON 404 of the API, not the site's HTML page."""
    body = {"code": "not_found", "message": str(_("Not found."))}
    return JsonResponse(body, status=404)


if apps.is_installed("forum"):  # the bundled forum; a django-machina site serves the commerce API alone
    from forum.api import router as forum_router

    api.add_router("/", forum_router)
api.add_router("/", commerce_router)
