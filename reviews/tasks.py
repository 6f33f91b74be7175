from celery import shared_task

from common.tasks import for_each_society, society_task


@society_task(name="reviews.remind_late_reviewers")
def remind_late_reviewers():
    """One society's reminders; idempotent (each assignment at most once a day)."""
    from reviews.services.reviews import remind_late_reviewers as remind

    return remind()


@shared_task(name="reviews.remind_late_reviewers_all")
def remind_late_reviewers_all():
    """Beat entry: one reminder task per active society, each in its own schema."""
    for_each_society(remind_late_reviewers)
