from django.core.exceptions import ValidationError


class DuesError(ValidationError):
    """Bad input or a forbidden transition; the message is translated and shown to the user."""
