"""The archive and what is asked of it: the store, the models, search."""
