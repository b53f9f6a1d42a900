"""Extensions, created once and unbound; `create_app` binds them."""

from typing import Any

import redis
from celery import Celery, Task
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from kombu import Queue

from models import Base

QUEUES = ("timers", "outbox", "outreach", "default")

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def redis_client(app: Flask) -> redis.Redis:
    """One Redis client per app (it pools its connections)."""
    client = app.extensions.get("redis")
    if client is None:
        client = app.extensions["redis"] = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2
        )
    return client


def celery_init_app(app: Flask) -> Celery:
    """Flask's Celery pattern: every task runs inside an application context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.task_queues = [Queue(name) for name in QUEUES]
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
