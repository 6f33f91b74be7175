class ReviewsError(ValueError):
    """Refused input or action; the message is for the person, in their language."""
