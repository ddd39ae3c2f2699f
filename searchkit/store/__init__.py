"""Storing articles in a Whoosh index: the schema, the index folder, Whoosh extensions."""
