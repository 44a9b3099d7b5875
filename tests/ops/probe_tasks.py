"""A task for the logging tests: it returns the request id its logs would carry."""

from django.tasks import task

from convergence.lib import logs


@task
def current_request_id() -> str | None:
    return logs.request_id.get()
