"""The unprivileged server user can reach binaries and data kept under root's private dirs."""

from __future__ import annotations

import stat
from pathlib import Path

from leadpipe_embedded.postgres import _allow_traversal


def test_traversal_is_granted_up_the_chain_without_listing(tmp_path: Path) -> None:
    private = tmp_path / "clone"
    target = private / "venv" / "bin"
    target.mkdir(parents=True)
    private.chmod(0o700)

    _allow_traversal(target)

    for directory in (target, target.parent, private):
        mode = directory.stat().st_mode
        assert mode & stat.S_IXOTH, f"{directory} not searchable by others"
    assert not private.stat().st_mode & stat.S_IROTH, "listing must not be granted"
