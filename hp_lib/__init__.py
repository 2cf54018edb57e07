"""hp_lib: the library behind the hyper-parameter book.

One concept per module: ``schedules``, ``data``, ``models``, ``train``, ``lr_finder``, ``cache``,
``profiles``, ``plots``, ``verdicts`` and ``build`` (the book pipeline, also ``python -m hp_lib``).
"""

__version__ = "0.1.0"
