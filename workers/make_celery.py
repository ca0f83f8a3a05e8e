"""Entry point: ``celery -A workers.make_celery worker`` and ``... beat``."""

from referral import create_app
from workers import celery_init_app

flask_app = create_app()
celery_app = celery_init_app(flask_app)
