"""The unit of work a command runs in, over the deployment the `docgen` group's app was built with."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:  # the deployment (every workflow) is the app's to import, when a command builds it
    from workflows.deployment import Work


def unit_of_work() -> Work:
    """A fresh unit of work: `with unit_of_work() as uow:` commits when the command returns and rolls
    back if it raises."""
    return current_app.extensions["docgen"].unit_of_work()
