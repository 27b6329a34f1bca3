"""``python -m webhook_receiver``: run webhook-receiver as a process."""

from leadpipe_runtime import main
from webhook_receiver.bootstrap import definition

if __name__ == "__main__":
    main(definition)
