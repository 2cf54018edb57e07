"""The experiments of each chapter: for every profile, the configs that regenerate its items.

One module per chapter. Each holds, side by side, the paper's setting (``full``), our CPU analog
(``cpu``) and a tiny version (``smoke``), and one function per experiment that runs them (through the
cache). The chapter notebooks call these functions; they hold no settings of their own.
"""
