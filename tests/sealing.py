"""The configuration of a deployment that e-mails links and seals final PDFs, for the tests that
follow a document from sending to its sealed PDF."""
from __future__ import annotations

from dataclasses import replace

from kernel.config import Config
from documents import seal


def mailing_and_sealing(config: Config, smtp_port: int, base_url: str = "https://docgen.example.org") -> Config:
    """`config` sending mail to the test's SMTP server, with links under `base_url`, and an
    organisation certificate to seal with."""
    config = replace(config, smtp_port=smtp_port, base_url=base_url)
    config.instance_path.mkdir(parents=True, exist_ok=True)
    seal.ensure_organisation_certificate(config, "Knowsley Council")
    return config
