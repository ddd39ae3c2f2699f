"""The index on disk: its schema, its folder, and how articles map to Whoosh documents.

``schema`` (fields and version), ``folder`` (:class:`~searchkit.store.folder.IndexFolder`:
marker, lock, checks, clear, open-or-create), ``documents`` (Article <-> documents) and
``whoosh_ext`` (every use of Whoosh internals). Importing this package imports Whoosh only.
"""
