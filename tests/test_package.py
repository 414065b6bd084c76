"""The distribution `community-commerce` (pyproject.toml): a wheel built offline from a copy
of the sources (``python -m build --no-isolation``: setuptools and wheel from the venv, no
network) holds the plugin with its templates, static files, compiled catalogues,
migrations and the django-machina template overrides, and nothing of the site."""

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "community_commerce"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(PLUGIN, source / "community_commerce", ignore=shutil.ignore_patterns("__pycache__"))
    for stray in ("forum", "config", "tests", "examples"):  # would a loose find pick them up?
        shutil.copytree(ROOT / stray, source / stray, ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(out), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("*.whl")
    return built


def _plugin_files(*patterns):
    return {str(p.relative_to(ROOT)) for pattern in patterns for p in PLUGIN.glob(pattern) if p.is_file()}


def test_the_wheel_is_the_plugin_with_its_templates_static_catalogues_migrations_and_machina_overrides(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = _plugin_files(
        "**/*.py", "templates/**/*", "static/**/*", "locale/**/*.mo", "locale/**/*.po", "machina_templates/**/*"
    )
    assert {n for n in wanted if "__pycache__" not in n} <= names
    assert {
        "community_commerce/migrations/0001_initial.py",
        "community_commerce/migrations/0009_member_language.py",
        "community_commerce/locale/zh_Hans/LC_MESSAGES/django.mo",
        "community_commerce/static/community_commerce/machina.css",
        "community_commerce/machina_templates/forum_conversation/topic_detail.html",
        "community_commerce/adapters/machina.py",
    } <= names
    tops = {n.split("/")[0] for n in names}
    assert tops == {"community_commerce", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}


def test_the_wheel_s_metadata_names_the_distribution_and_the_machina_extra(wheel):
    archive = zipfile.ZipFile(wheel)
    (meta_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    meta = Parser().parsestr(archive.read(meta_name).decode())
    assert meta["Name"] == "community-commerce"
    requires = meta.get_all("Requires-Dist")
    assert any(r.startswith("Django") for r in requires)
    assert 'django-machina==1.3.1; extra == "machina"' in requires
    assert "machina" in meta.get_all("Provides-Extra")


def test_installed_from_the_wheel_the_machina_template_dir_holds_the_overrides(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    found = subprocess.run(
        [sys.executable, "-c", "import community_commerce; print(community_commerce.__file__); "
         "print(community_commerce.MACHINA_TEMPLATE_DIR)"],
        cwd=tmp_path, env={"PYTHONPATH": str(target)}, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert found[0].startswith(str(target))
    overrides = Path(found[1])
    assert (overrides / "forum_conversation" / "topic_detail.html").read_text() == (
        PLUGIN / "machina_templates" / "forum_conversation" / "topic_detail.html"
    ).read_text()
