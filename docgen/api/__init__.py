"""The JSON API under /api/v1: importing this package registers every route on `bp`."""
from __future__ import annotations

from docgen.api import hr, openapi, people, records, schedule, signoff  # noqa: F401  (registers routes)
from docgen.api import webhooks  # noqa: F401  (registers routes; issue 15)
from docgen.api import bulk_starts  # noqa: F401  (registers routes; issue 16)
from docgen.api import groups  # noqa: F401  (registers routes; issue 14: group supervision)
from docgen.api import consent, disagreements, quality_audits  # noqa: F401  (registers routes; issue 14)
from docgen.api import supervision_log  # noqa: F401  (registers routes; issue 25: hours and attendance)
from docgen.api import cpd  # noqa: F401  (registers routes; issue 25: CPD evidence)
from docgen.api.routing import bp

__all__ = ["bp"]
