"""The experiments of docs/model.md section 6, one module each: ``eNN_name.py`` defines ``SPEC``.

:func:`sim.spec.registry` finds them; ``setting.py`` holds what several
policy experiments share (a world, training contexts and the prior in them).
"""
