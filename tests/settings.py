"""Test settings of the bundled forum's site: the real settings (config/settings.py), with
the test run's own Redis databases, queue and database file (tests/run_settings.py)."""

from tests.run_settings import for_the_test_run, use_test_var_dir

use_test_var_dir()

from config.settings import *  # noqa: E402, F403

for_the_test_run(globals())
