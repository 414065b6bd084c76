"""machina ships Chinese as zh_CN, which Django never picks for zh-hans: compile machina's
zh_CN catalogue into machina_catalogue/zh_Hans, a dir of the site's LOCALE_PATHS. Committed,
so a fresh clone needs no gettext; not named "locale", so makemessages never writes there.
After upgrading machina: ``python -m examples.machina_site.machina_locale``
(tests/machina/test_site.py fails while the committed file differs from what this writes)."""

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TARGET = Path(__file__).resolve().parent / "machina_catalogue" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def source() -> Path:
    import machina

    return Path(machina.__file__).resolve().parent / "locale" / "zh_CN" / "LC_MESSAGES" / "django.po"


def compiled() -> bytes:
    """The .mo of machina's zh_CN catalogue, fuzzy entries left out (as msgfmt does)."""
    with source().open("rb") as po:
        catalog = read_po(po, locale="zh_Hans_CN")
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


if __name__ == "__main__":
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(compiled())
    print(f"wrote {TARGET}")
