import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "sample-data"
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture
def sample():
    return SAMPLE


@pytest.fixture
def shared():
    """../shared/data beside the clone: required on CI, skipped (with a reason) without it."""
    if not SHARED.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true needs the real records in {SHARED}")
        pytest.skip(f"skipped: {SHARED} is absent (real records)")
    return SHARED


@pytest.fixture
def cli():
    """The `panelscope` binary: $PANELSCOPE_BIN, else the cargo build in CARGO_TARGET_DIR."""
    given = os.environ.get("PANELSCOPE_BIN")
    if given:
        return given
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("release", "debug"):
        candidate = target / profile / "panelscope"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("panelscope")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true needs the panelscope binary (PANELSCOPE_BIN)")
    pytest.skip("skipped: no panelscope binary (set PANELSCOPE_BIN or build it with cargo)")
