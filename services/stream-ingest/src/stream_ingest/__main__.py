"""``python -m stream_ingest``: run stream-ingest as a process."""

from leadpipe_runtime import main
from stream_ingest.bootstrap import definition

if __name__ == "__main__":
    main(definition)
