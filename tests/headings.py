"""Heading order, as axe's ``heading-order`` rule checks it: a heading is at most one
level deeper than the one before it (an h1 followed by an h3 skips a level)."""

import itertools
import re

HEADING = re.compile(r"<h([1-6])\b", re.IGNORECASE)


def skipped_levels(html: str) -> list[tuple[int, int]]:
    """Each (previous, next) pair where the next heading goes more than one level deeper."""
    levels = [int(level) for level in HEADING.findall(html)]
    return [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
