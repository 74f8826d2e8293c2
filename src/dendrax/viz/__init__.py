"""See the package docstring of dendrax."""
