"""Test settings of the django-machina example site: its settings, with the test run's own
Redis databases, queue and database file (tests/run_settings.py, as the bundled run)."""

from tests.run_settings import for_the_test_run, use_test_var_dir

use_test_var_dir()

from examples.machina_site.settings import *  # noqa: E402, F403

for_the_test_run(globals())
# The contract suite's forums that take offers sit under a category "Market"
# (tests/adapters/drivers.py MachinaDriver); "deals" is the demo's.
COMMUNITY_COMMERCE_MACHINA_DEALS_FORUMS = ["market", "deals"]
