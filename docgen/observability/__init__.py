"""What an operator sees of a running docgen: JSON logs with request ids (`logs`), Prometheus
metrics (`metrics`) and the readiness checks (`health`). Wired by the composition root
(`docgen.app`, `docgen.worker`); nothing here is built at import time except the metric objects,
which prometheus-client keeps per process."""
