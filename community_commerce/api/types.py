"""Types of the commerce JSON API: the error body, bounded integers for ids and pages,
non-empty strings.

The bundled forum keeps the same conventions in forum/api_types.py: the two apps install
separately (the plugin goes into other forums too) and neither imports the other, so each
carries its copy of this small contract (shared/API.md, "Errors").

The bounds are what the database can hold, so a hostile number is a 400 naming
the parameter instead of an overflow deep in a query. `errors(...)` declares in
an operation's `response={...}` the 4xx answers it can give, each with the error
body, so the OpenAPI schema lists them; the handlers that produce them are in
config/api.py.
"""

from typing import Annotated

from ninja import Field, Schema

MAX_ID = 2**63 - 1  # a BigAutoField: neither SQLite nor PostgreSQL stores a larger integer
MAX_PAGE = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Page = Annotated[int, Field(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
NonEmpty = Annotated[str, Field(min_length=1)]


def per_page(maximum: int):
    """A page size from 1 to `maximum`."""
    return Annotated[int, Field(ge=1, le=maximum, description=f"Items per page, 1 to {maximum}.")]


class Error(Schema):
    """The body of every 4xx answer."""

    code: str = Field(description="A stable code: what went wrong, for programs.")
    message: str = Field(description="What went wrong, for people, in the member's language.")
    fields: dict[str, list[str]] = Field(
        None, description="Only for invalid input: the problems of each field, by field name (dotted when nested)."
    )


class InvalidError(Error):
    """400: the input is not valid; `fields` says where. Code `invalid`, or a more precise
    code of the rule that refused it (e.g. `invalid_quantity`, `invalid_terms`)."""


class NotAuthenticatedError(Error):
    """401 `not_authenticated`: log in first (X-Session-Token, or the session cookie)."""


class ForbiddenError(Error):
    """403: not allowed. Code `forbidden`, `csrf_failed` (a session cookie without its CSRF
    token: send X-CSRFToken), or the code of the rule that refused it (e.g. `not_merchant`,
    `thread_locked`)."""


class NotFoundError(Error):
    """404 `not_found`: no such resource, or not one the member may see."""


class ConflictError(Error):
    """409: the request is fine but the resource's state refuses it; the code names the
    state (e.g. `not_started`, `closed`, `sold_out`, `limit_exceeded`, `terms_frozen`)."""


class PayloadTooLargeError(Error):
    """413 `payload_too_large`: the body is larger than the server accepts (2.5 MB)."""


class UnsupportedMediaTypeError(Error):
    """415 `unsupported_media_type`: a body must be JSON (Content-Type: application/json)."""


class RateLimitedError(Error):
    """429: too many requests (`flood_control`, `rate_limited`); Retry-After says when to try again."""


ERRORS = {
    400: InvalidError,
    401: NotAuthenticatedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    429: RateLimitedError,
}

BODY = (413, 415)  # any operation that reads a JSON body
MEMBER = (401,)  # any operation that needs a login
WRITE = (401, 403)  # a write by a member: 403 at least for a cookie without its CSRF token


def errors(*statuses) -> dict:
    """`response={200: Out, **errors(400, 404)}`: the 4xx answers an operation can give.
    Takes statuses and tuples of them (`BODY`, `WRITE`)."""
    flat = []
    for status in statuses:
        flat.extend(status if isinstance(status, tuple) else [status])
    return {status: ERRORS[status] for status in sorted(set(flat))}
