"""docgen's Word templates, installed as the package ``docgen.templates_docx`` (pyproject.toml's
package-dir): ``docgen.documents.render`` finds them with importlib.resources, in the wheel and in a
checkout alike. ``build.py`` and ``group_forms.py`` build them; they are scripts, never imported.
"""
