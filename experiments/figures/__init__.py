"""One figure module per experiment, named like its spec (``eNN_name.py``), each with
``plot(summary, config, stem)`` drawing ``stem.pdf`` and ``stem.png``."""
