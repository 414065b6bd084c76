"""The README's copyable machina steps stay the example site's own files."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_s_machina_base_html_is_the_example_site_s():
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"```django\n(.*?)```", readme, re.S).group(1)
    example = (ROOT / "examples/machina_site/templates/base.html").read_text()
    without_comment = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", example, flags=re.S)
    lines = [line.strip() for line in snippet.splitlines() if line.strip()]
    assert lines == [line.strip() for line in without_comment.splitlines() if line.strip()]
