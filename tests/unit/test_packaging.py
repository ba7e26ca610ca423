"""What `pip install` reads from pyproject.toml: nothing it warns about as deprecated."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_license_is_an_spdx_expression_which_setuptools_reads_without_a_deprecation_warning():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # a TOML table (`{ text = ... }`) is deprecated since setuptools 77, which reads the SPDX string
    assert project["project"]["license"] == "Apache-2.0"
    requires = project["build-system"]["requires"]
    setuptools = next(r for r in requires if r.startswith("setuptools"))
    assert int(re.fullmatch(r"setuptools>=(\d+)", setuptools).group(1)) >= 77
