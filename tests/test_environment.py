"""environment.yml, the conda-forge alternative, in step with pyproject.toml: every runtime and test dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: PyPI name -> conda-forge name, where they differ (the only names the check does not take as they are)
CONDA_NAMES = {"matplotlib": "matplotlib-base"}
#: name, optional [extras], version bounds up to an environment marker (PEP 508; a conda spec reads the same)
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;#]*)")


def requirement(text: str) -> tuple[str, str]:
    """(normalised name, version bounds without spaces) of a pip or conda requirement; extras are dropped."""
    match = _REQUIREMENT.match(text)
    assert match, f"not a requirement: {text!r}"
    return re.sub(r"[-_.]+", "-", match[1]).lower(), re.sub(r"\s+", "", match[2])


def pyproject_requirements() -> list[str]:
    """The runtime dependencies and the ``test`` extra of pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["test"]]


def environment_requirements() -> dict[str, str]:
    """Name -> version bounds of environment.yml's conda packages and of its ``pip:`` list (not ``-e .``)."""
    dependencies = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))["dependencies"]
    conda = [d for d in dependencies if isinstance(d, str)]
    pip = [p for d in dependencies if isinstance(d, dict) for p in d.get("pip", []) if not p.startswith("-")]
    return dict(requirement(r) for r in conda + pip)


def test_requirements_read_as_name_and_bounds():
    assert requirement("psycopg[binary]>=3.1") == ("psycopg", ">=3.1")
    assert requirement("streamlit-authenticator >=0.4, <0.5") == ("streamlit-authenticator", ">=0.4,<0.5")
    assert requirement("Streamlit_Folium>=0.22 ; python_version>'3'") == ("streamlit-folium", ">=0.22")
    assert requirement("python=3.11") == ("python", "=3.11")


@pytest.mark.parametrize("line", pyproject_requirements())
def test_every_pyproject_dependency_is_in_the_environment_with_its_bounds(line):
    name, bounds = requirement(line)
    conda = CONDA_NAMES.get(name, name)
    found = environment_requirements()
    assert conda in found, (
        f"environment.yml lacks {line!r}; add '- {conda}{bounds}' (conda-forge) or list it under pip:"
    )
    assert found[conda] == bounds, (
        f"environment.yml has {conda}{found[conda]}, pyproject.toml {line!r}; make them agree"
    )


def test_the_conda_names_map_only_dependencies_the_environment_has():
    names = {requirement(line)[0] for line in pyproject_requirements()}
    found = environment_requirements()
    assert set(CONDA_NAMES) <= names and set(CONDA_NAMES.values()) <= set(found)
    assert not set(CONDA_NAMES) & set(found), "a package is listed under both its PyPI and its conda-forge name"
