from celery.schedules import crontab

from saas.settings.cache import REDIS_URL
from saas.settings.env import env_bool

# kombu spells a Unix-socket Redis (the embedded default) as redis+socket://.
_celery_redis = "redis+socket://" + REDIS_URL[len("unix://") :] if REDIS_URL.startswith("unix://") else REDIS_URL
CELERY_BROKER_URL = _celery_redis
CELERY_RESULT_BACKEND = _celery_redis
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "Asia/Shanghai"
# Periodic work: one entry per job; each fans out per society (see common/tasks.py).
CELERY_BEAT_SCHEDULE: dict = {
    "common.heartbeat": {"task": "common.heartbeat", "schedule": crontab(minute="*/5")},
    "members.run_renewals_everywhere": {
        "task": "members.run_renewals_everywhere",
        "schedule": crontab(hour=2, minute=30),
    },
    "billing.send_payment_reminders": {"task": "billing.send_payment_reminders", "schedule": crontab(hour=9, minute=0)},
    "billing.report_usage_all": {"task": "billing.report_usage_all", "schedule": crontab(hour=2, minute=30)},
    "board.fill_all": {"task": "board.fill_all", "schedule": crontab(minute="*/5")},
    "board.fill_all_full": {"task": "board.fill_all", "schedule": crontab(hour=3, minute=17), "kwargs": {"full": True}},
    "board.compute_index": {"task": "board.compute_index", "schedule": crontab(minute=50)},
    "meetings.release_expired_holds": {"task": "meetings.release_expired_holds_everywhere", "schedule": 60.0},
    "reviews.remind_late_reviewers": {
        "task": "reviews.remind_late_reviewers_all",
        "schedule": crontab(hour=10, minute=0),
    },
    "dues.reconcile_all_societies": {"task": "dues.reconcile_all_societies", "schedule": crontab(hour=3, minute=40)},
}
