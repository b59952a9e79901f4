"""docgen's Word templates, installed as the package ``documents.templates_docx`` (pyproject.toml's
package-dir): ``documents.render`` finds them with importlib.resources, in the wheel and in a
checkout alike. ``build.py`` and ``group_forms.py`` build them; they are scripts, never imported.
"""
