"""``python -m ch_gateway``: run ch-gateway as a process."""

from ch_gateway.bootstrap import definition
from leadpipe_runtime import main

if __name__ == "__main__":
    main(definition)
