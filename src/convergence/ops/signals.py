"""The request id travels with the tasks a request enqueues: kept in the (shared) cache under the
task's id when it is enqueued, set again in the worker when the task starts."""

from __future__ import annotations

import contextvars
from typing import Any

from django.core.cache import cache
from django.dispatch import receiver
from django.tasks.signals import task_enqueued, task_finished, task_started

from convergence.lib import logs

KEY = "task-request-id:{}"
TTL = 7 * 24 * 3600  # a task waits at most this long in the queue for its id to follow it

_tokens: dict[str, contextvars.Token] = {}


@receiver(task_enqueued, dispatch_uid="ops_task_enqueued")
def _remember_request_id(sender, task_result, **kwargs: Any) -> None:
    if request_id := logs.request_id.get():
        cache.set(KEY.format(task_result.id), request_id, TTL)


@receiver(task_started, dispatch_uid="ops_task_started")
def _restore_request_id(sender, task_result, **kwargs: Any) -> None:
    request_id = cache.get(KEY.format(task_result.id)) or f"task-{task_result.id}"
    _tokens[str(task_result.id)] = logs.request_id.set(request_id)


@receiver(task_finished, dispatch_uid="ops_task_finished")
def _forget_request_id(sender, task_result, **kwargs: Any) -> None:
    token = _tokens.pop(str(task_result.id), None)
    if token is not None:
        try:
            logs.request_id.reset(token)
        except ValueError:  # set in another context (an immediate task inside a request)
            logs.request_id.set(None)
    cache.delete(KEY.format(task_result.id))
