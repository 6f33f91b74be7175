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
}
