"""Print the API's OpenAPI document: ``python -m theo.api.openapi > openapi.json`` (the dashboard's client is
generated from it)."""

from __future__ import annotations

import json
import sys
from typing import Any, cast

from theo.api.app import create_app
from theo.api.events import NoEvents
from theo.api.services.context import ServiceContext
from theo.config import TheoConfig
from theo.persistence.repositories import Store


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the app (built without a database: no route runs)."""
    ctx = ServiceContext(config=TheoConfig(), store=cast(Store, None), events=NoEvents())
    return create_app(ctx).openapi()


def main() -> None:
    json.dump(openapi_document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
