import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from trellis_process import Trellis  # noqa: E402


@pytest.fixture
def trellis():
    """A fresh trellis on free loopback ports; checks it exits 0 on SIGTERM."""
    t = Trellis()
    t.start()
    yield t
    code = t.stop()
    if t.owned_dir:
        t.owned_dir.cleanup()
    assert code == 0, f"trellis exited with {code}"


@pytest.fixture
def make_trellis():
    """Factory for tests that need their own settings or restarts."""
    made = []

    def make(**kwargs):
        t = Trellis(**kwargs)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()
