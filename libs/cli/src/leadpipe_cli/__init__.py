"""The ``leadpipe`` command line.

Built-in commands: ``setup`` (streams, consumers, migrations), ``up`` (the whole pipeline on one
machine) and ``dlq list|retry``. Services contribute more commands (``bulk-import``, ``backfill``,
``stats`` …) through the ``leadpipe.commands`` entry-point group: each entry names a function
that receives the root Typer app and registers its commands. Services are found through the
``leadpipe.services`` group (their ``ServiceDefinition``), so this package never imports a
service by name.
"""

__all__: list[str] = []
