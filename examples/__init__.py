"""Example sites: the commerce plugin installed into forums other than the bundled one."""
