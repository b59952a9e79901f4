"""The unit of work a command runs in: over the deployment the `docgen` group's app was built with,
or, for a command that only checks, over the deployment alone."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask import current_app

if TYPE_CHECKING:  # the deployment (every workflow) is the app's to import, when a command builds it
    from workflows.deployment import Work


DEPLOYMENT = "docgen.deployment"  # click's ctx.meta key under which docgen.main hands down the deployment factory


def unit_of_work() -> Work:
    """A fresh unit of work: `with unit_of_work() as uow:` commits when the command returns and rolls
    back if it raises."""
    return current_app.extensions["docgen"].unit_of_work()


def checking_unit_of_work() -> Work:
    """A unit of work over the deployment alone (database, store, profile), built from the DOCGEN_*
    settings without the web app or a task queue: for `docgen verify`, which queues nothing and
    should start in the time its own libraries take, not the whole app's. The composition root
    (`docgen.main`) hands the factory down in click's context."""
    build = click.get_current_context().meta[DEPLOYMENT]
    return build().unit_of_work()
