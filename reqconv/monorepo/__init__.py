"""Every service below a root (``--all``): the walk, the parallel run, the summary."""
