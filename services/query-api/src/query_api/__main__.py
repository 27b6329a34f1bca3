"""``python -m query_api``: run query-api as a process."""

from leadpipe_runtime import main
from query_api.bootstrap import definition

if __name__ == "__main__":
    main(definition)
