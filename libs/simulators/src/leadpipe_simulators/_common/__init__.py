"""Building blocks shared by the Snov.io and GoHighLevel simulators.

- ``clock``: the simulated clock (injectable time source, time scale, manual advance);
- ``scheduler``: runs coroutines at simulated times (task completion, webhook retries);
- ``determinism``: stable hashing of a seed and keys into fractions, ids and choices;
- ``faults``: 5xx bursts and added latency on API calls;
- ``rate_window``: a rolling-window request counter;
- ``request_log``: what each simulator was asked and what it answered;
- ``http``: JSON responses and API errors;
- ``admin_input``: reading the JSON bodies of /_sim/ control calls;
- ``server``: the aiohttp server lifecycle every simulator shares;
- ``cli_support``: running a simulator standalone until SIGINT/SIGTERM.
"""
