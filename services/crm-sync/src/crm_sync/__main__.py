"""``python -m crm_sync``: run crm-sync as a process."""

from crm_sync.bootstrap import definition
from leadpipe_runtime import main

if __name__ == "__main__":
    main(definition)
