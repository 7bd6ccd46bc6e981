"""The project: pyproject.toml read (``pyproject_read``, tomllib) and written (``pyproject``, the
only importer of tomlkit), where requires-python comes from (``pythons``), and what the folder's
own build files say of the project itself (``selfproject``)."""
