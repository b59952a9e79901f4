"""The Alembic migrations, installed as the package ``storage.migrations`` (pyproject.toml's
package-dir): storage owns the schema, and ``storage.db`` finds them with importlib.resources, in the
wheel and in a checkout alike. Alembic reads ``env.py`` and ``versions/`` as files; nothing imports them.
"""
