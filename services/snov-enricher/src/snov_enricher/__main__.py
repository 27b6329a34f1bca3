"""``python -m snov_enricher``: run snov-enricher as a process."""

from leadpipe_runtime import main
from snov_enricher.bootstrap import definition

if __name__ == "__main__":
    main(definition)
