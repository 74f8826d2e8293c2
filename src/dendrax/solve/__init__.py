"""The engine: the compiled System and the State it evolves, the step's stages (one file
each), the cable solve and the tree solvers (``_tree/``), and ``simulate``.

Imports only ``mechanisms`` and ``morphology``; ``model`` compiles into it.
"""
