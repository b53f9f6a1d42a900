"""Celery tasks and the clock process. Thin: each task loads ids, calls `workflows`, commits."""
