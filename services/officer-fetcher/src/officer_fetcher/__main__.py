"""``python -m officer_fetcher``: run officer-fetcher as a process."""

from leadpipe_runtime import main
from officer_fetcher.bootstrap import definition

if __name__ == "__main__":
    main(definition)
