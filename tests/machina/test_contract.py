"""The adapter contract suite (tests/adapters/test_contract.py), unchanged, against
django-machina: its driver (MachinaDriver) is the one available under these settings."""

from tests.adapters.test_contract import *  # noqa: F403
