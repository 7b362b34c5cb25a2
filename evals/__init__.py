"""Offline evaluation of the rag pipeline against gold questions."""
