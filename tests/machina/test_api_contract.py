"""The commerce JSON API contract (tests/api/test_api_contract.py), unchanged, against the
django-machina site."""

from tests.api.test_api_contract import *  # noqa: F403
