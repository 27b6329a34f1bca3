"""GoHighLevel (LeadConnector) API v2 simulator: contact upsert, contacts, tags, custom fields.

Follows reference snov-ghl.md Part 2. Behaviour the vendor leaves undocumented is chosen as follows
(details in each module's docstring):

- a missing ``Version`` header answers 400 "Version header was not found"; any value other than
  ``2021-07-28`` answers 400 "Version header value is not supported" (``api``);
- each token belongs to one location; limits are counted per (token, location); the burst window
  rolls, the daily one resets at midnight UTC of the simulated clock; 429 bodies are
  ``{"statusCode": 429, "message": "Too Many Requests", "error": "Too Many Requests"}`` and carry
  the X-RateLimit-* headers but no Retry-After (``rate_limits``, ``api``);
- unknown custom field ids in an upsert are dropped and counted, not rejected (``api``);
- tags are stored lower-case; phones as ``+`` and digits; a contact without e-mail and phone
  never matches an existing one (``contacts``, ``validation``);
- an unknown contact id answers 404 "Contact not found"; another location's contact answers 403.
"""

from leadpipe_simulators.ghl.config import API_VERSION, GhlConfig, LocationSettings
from leadpipe_simulators.ghl.custom_fields import CustomField
from leadpipe_simulators.ghl.simulator import GhlSimulator

__all__ = ["API_VERSION", "CustomField", "GhlConfig", "GhlSimulator", "LocationSettings"]
