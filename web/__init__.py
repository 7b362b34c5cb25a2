"""Thin web layer (chat page + JSON API) over the rag pipeline."""
