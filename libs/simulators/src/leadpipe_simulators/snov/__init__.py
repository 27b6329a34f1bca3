"""Snov.io simulator: OAuth token, company-domain-by-name, emails-by-domain-by-name, balance.

Follows reference snov-ghl.md Part 1. Behaviour the vendor leaves undocumented is chosen as follows
(details in each module's docstring):

- no-domain entries in company-domain results vary per name between ``"result": null``,
  ``"result": {}``, ``"result": []`` and no entry at all (``outcomes``, ``config.NoDomainShape``);
- a task is charged all or nothing at completion; a balance too small for the whole task ends it
  with status ``not_enough_credits`` and empty ``data``, on both task families (``engine``);
- 401 and 429 bodies use the ``{"success": false, "errors": [...]}`` envelope; 429 carries no rate
  headers; the token endpoint counts against the 60/min window (``api``);
- tokens do not revoke each other; several stay valid at once (``accounts``);
- the webhook push body equals the /result body; the 3 s answer deadline is real time, the retry
  ladder simulated time (``webhooks``).
"""

from leadpipe_simulators.snov.config import WEBHOOK_RETRY_DELAYS, NoDomainShape, SnovConfig
from leadpipe_simulators.snov.credits import ChargeRecord
from leadpipe_simulators.snov.names import normalise_company_name
from leadpipe_simulators.snov.outcomes import EmailCandidate
from leadpipe_simulators.snov.simulator import SnovSimulator
from leadpipe_simulators.snov.tasks import Task, TaskState, TaskType
from leadpipe_simulators.snov.webhooks import DeliveryState, WebhookAttempt

__all__ = [
    "WEBHOOK_RETRY_DELAYS",
    "ChargeRecord",
    "DeliveryState",
    "EmailCandidate",
    "NoDomainShape",
    "SnovConfig",
    "SnovSimulator",
    "Task",
    "TaskState",
    "TaskType",
    "WebhookAttempt",
    "normalise_company_name",
]
