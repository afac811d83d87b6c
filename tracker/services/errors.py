class DomainError(Exception):
    """A rule of the domain refused the change; str(e) is a message fit to show the user (Chinese)."""


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass
