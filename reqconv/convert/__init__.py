"""``ReqFile``s and their roles -> one ``model.Conversion``: ``normalize`` (names, merged
duplicates, options as uv settings, the pins of compiled files, each line's fate) and ``names``
(unnamed URL and path lines named)."""
