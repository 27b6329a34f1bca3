"""``python -m leadpipe_simulators <simulator> [options]``: run one simulator standalone."""

from __future__ import annotations

import importlib
import sys

_SIMULATORS = {
    "companies-house": "leadpipe_simulators.companies_house.cli",
    "snov": "leadpipe_simulators.snov.cli",
    "ghl": "leadpipe_simulators.ghl.cli",
}


def main(argv: list[str] | None = None) -> None:
    """Dispatch to the named simulator's own command line."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in _SIMULATORS:
        names = ", ".join(sorted(_SIMULATORS))
        sys.exit(f"usage: leadpipe-sim {{{names}}} [options]  (--help after the name for more)")
    module = importlib.import_module(_SIMULATORS[args[0]])
    module.main(args[1:])


if __name__ == "__main__":
    main()
