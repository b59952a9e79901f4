"""Server-rendered GOV.UK pages: templates, CSRF, rate limits, HTML errors and the page blueprints.

The pages call the same workflow functions as the JSON API (and the same audited read and write
checks in `workflows.access`); they only parse forms and shape the answer. Every page works
without JavaScript and under the app's Content-Security-Policy (no inline scripts or styles).
"""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from docgen.web import webhooks  # issue 15
from docgen.web import bulk_start  # issue 16
from docgen.web import groups  # issue 14: group supervision
from docgen.web import consent, disagreements, quality_audits  # issue 14: disagreements, audits, consent
from docgen.web import case_notes  # issue 23: case notes for the child's record
from docgen.web import supervision_log  # issue 25: supervision hours and attendance
from docgen.web import due  # issue 27: the due list, where the overdue record e-mail leads
from docgen.web import cpd  # issue 25: CPD evidence for Social Work England
from docgen.web import asye_support  # issue 25: the ASYE record of support
from docgen.web import subject_access  # issue 25: subject access requests (UK GDPR Art. 15)
from docgen.web import (admin, agreements, auth, errors, forms, hr, limits, links, navigation, oidc, planning, reasons,
                        records, reports, signoff, supervisee, supervisor, tokens, typography, verify)


def init_web(app: Flask) -> None:
    """Register the page blueprints, templates, CSRF and rate limits on the app."""
    app.jinja_loader = ChoiceLoader([
        PackageLoader("docgen"),
        PrefixLoader({name: PackageLoader(name) for name in ("govuk_frontend_jinja", "govuk_frontend_wtf")}),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_global(forms.error_summary)
    app.context_processor(navigation.context)
    typography.init_typography(app)

    csrf = CSRFProtect(app)
    csrf.exempt(app.blueprints["api"])  # bearer tokens need none; cookie-made changes are checked by docgen.api.routing

    for blueprint in (auth.bp, supervisor.bp, records.bp, supervisee.bp, hr.bp, admin.bp, signoff.bp, links.bp,
                      agreements.bp, verify.bp, reports.bp, planning.bp, reasons.bp,
                      webhooks.bp, bulk_start.bp, tokens.bp, oidc.bp, groups.bp, disagreements.bp, quality_audits.bp,
                      consent.bp, case_notes.bp, due.bp, supervision_log.bp, cpd.bp, asye_support.bp,
                      subject_access.bp):
        app.register_blueprint(blueprint)
    oidc.init_oidc(app, app.extensions["docgen"].config)
    limits.init_limits(app)  # after the blueprints: it wraps the views marked @rate_limited
    errors.init_errors(app)
