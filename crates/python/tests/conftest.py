import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
PARITY = ROOT.parent / "shared" / "parity"


@pytest.fixture(scope="session")
def motornet_bin():
    """The `motornet` program built from this checkout (MOTORNET_BIN overrides)."""
    explicit = os.environ.get("MOTORNET_BIN")
    candidates = [explicit] if explicit else [ROOT / "target" / p / "motornet" for p in ("release", "debug")]
    for c in candidates:
        if c and pathlib.Path(c).is_file():
            return str(c)
    pytest.fail(f"the motornet program is not built (looked at {candidates}); run `cargo build -p motornet`")


@pytest.fixture(scope="session")
def parity_dir():
    assert PARITY.is_dir(), f"{PARITY} (the parity fixtures) is missing"
    return PARITY
