"""pip's requirements format: files read into ``model.ReqFile`` (``parse``), one line edited in
the file's own style (``edit``), and which file feeds which table (``discover``)."""
