"""Access-policy cases of the exchange area's URLs added after the first ones."""

from typing import Any


def _import_run(world: Any, role: str) -> dict[str, Any]:
    return {"token": world.objects(role).import_run.token}


KWARGS = {
    "exchange:import_retry": (_import_run, "own"),
}
