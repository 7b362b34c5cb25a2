"""Domain errors with messages a user can act on; edges turn them into HTTP codes or exit codes."""


class RagError(Exception):
    """Base class of every error the pipeline raises on purpose."""

    status_code = 500


class InvalidInputError(RagError):
    """The user's input (question, k, path) is not acceptable."""

    status_code = 422


class SourceNotFoundError(InvalidInputError):
    """A corpus path does not exist or holds no readable documents."""


class IndexNotFoundError(RagError):
    """No index was built yet."""

    status_code = 503


class IndexMismatchError(RagError):
    """The index on disk was built with another embedder or is damaged."""

    status_code = 503


class DocumentNotFoundError(RagError):
    """No indexed document has the requested id."""

    status_code = 404


class GeneratorError(RagError):
    """An answer backend failed (unreachable, timed out, bad output)."""

    status_code = 502


class ModelNotFoundError(RagError):
    """A model file the settings need is missing or unreadable."""

    status_code = 503


class BusyError(RagError):
    """Too many answers are waiting for the model; the client should retry later."""

    status_code = 503

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeadlineError(GeneratorError):
    """The backend did not finish within the request's deadline."""

    status_code = 504


class IndexBusyError(RagError):
    """Another writer holds the index lock (the CLI exits non-zero, the API answers 409)."""

    status_code = 409


class StorageError(RagError):
    """The index folder cannot take the write: disk full (507) or read-only (503)."""

    status_code = 507


def storage_error(exc: OSError, folder: object) -> StorageError | None:
    """A StorageError with an actionable message for a full or read-only disk, else None."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(
            f"no space left for the index at {folder}: free some disk space (or delete "
            "documents) and retry; nothing was changed"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        error = StorageError(
            f"the index at {folder} cannot be written ({exc.strerror}): make it writable, or "
            "point RAG_INDEX_DIR at a writable folder; nothing was changed"
        )
        error.status_code = 503
        return error
    return None
