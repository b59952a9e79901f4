"""The README and docs/*.md say what the code does: every DOCGEN_* variable they name is read where
they say, every setting is in the configuration table, every command in the Commands table
answers --help, and the built-in profiles they list are the ones shipped."""
from __future__ import annotations

import re
import shutil
from dataclasses import fields
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kernel.config import Config
from docgen.main import cli
from tests.unit.test_profiles import EXAMPLE_DIR
from workflows.profiles import load_profile, profile_dirs

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCS = {"README.md": README} | {f"docs/{path.name}": path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))}
VARIABLE = re.compile(r"\bDOCGEN_[A-Z0-9_]*[A-Z0-9]\b")  # `DOCGEN_*` and `DOCGEN_OIDC_*` are families, not names

# Variables read outside Config, and the file that reads each: the stack's and the benchmark's own
# settings, and where the warm LibreOffice's script is.
READ_ELSEWHERE = {
    "DOCGEN_UNOSERVER": "documents/pdf.py",
    "DOCGEN_WEB_WORKERS": "scripts/stack.sh",
    "DOCGEN_WEB_WORKER_CLASS": "scripts/stack.sh",
    "DOCGEN_WEB_THREADS": "scripts/stack.sh",
    "DOCGEN_CONSUMERS": "scripts/stack.sh",
    "DOCGEN_STACK_PORT": "scripts/stack.sh",
    "DOCGEN_STACK_DIR": "scripts/stack.sh",
    "DOCGEN_STACK_PROXY_PORT": "scripts/stack.sh",
    "DOCGEN_BENCH_SECONDS": "bench/load/run.py",
    "DOCGEN_BENCH_SOAK_SECONDS": "bench/load/run.py",
}


def config_variables() -> set[str]:
    """What `kernel.config.from_env` reads: DOCGEN_<FIELD> for every field but the tests' `extra`."""
    return {f"DOCGEN_{field.name.upper()}" for field in fields(Config) if field.name != "extra"}


def section(heading: str) -> str:
    """The README's text under `## heading`, up to the next heading of that level."""
    start = README.index(f"\n## {heading}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def first_cells(table_section: str) -> list[str]:
    """The first cell of each row of the section's table (header and rule excluded)."""
    rows = [line for line in table_section.splitlines() if line.startswith("| ")]
    return [re.split(r"(?<!\\) \| ", row[2:])[0] for row in rows[1:]]


def readme_commands() -> list[tuple[str, ...]]:
    """The Commands table's command words: `docgen hold place|lift …` is `hold place` and `hold lift`."""
    found: list[tuple[str, ...]] = []
    for cell in first_cells(section("Commands")):
        commands: list[tuple[str, ...]] = [()]
        for word in cell.strip("`").replace("\\|", "|").split()[1:]:
            if not re.fullmatch(r"[a-z][a-z-]*(\|[a-z][a-z-]*)*", word):
                break  # an option, a placeholder (FILE, DIR|FILE.tar) or "…"
            commands = [command + (choice,) for command in commands for choice in word.split("|")]
        found += commands
    return found


def test_every_docgen_variable_the_docs_name_is_read_by_config_or_where_the_docs_say() -> None:
    named = {name: doc for doc, text in DOCS.items() for name in VARIABLE.findall(text)}
    unread = {name: doc for name, doc in named.items() if name not in config_variables() | READ_ELSEWHERE.keys()}
    assert not unread, f"named in the docs but read nowhere: {unread}"


@pytest.mark.parametrize("variable, reader", sorted(READ_ELSEWHERE.items()))
def test_a_variable_read_outside_config_is_read_by_the_file_that_reads_it(variable: str, reader: str) -> None:
    text = (ROOT / reader).read_text()
    read = (rf"\$\{{?{variable}\b" if reader.endswith(".sh")
            else rf"environ(\.get\(|\[)\s*\"{variable}\"")
    assert re.search(read, text), f"{reader} does not read {variable}"


def test_every_setting_config_reads_is_in_the_readmes_configuration_table() -> None:
    table = {name for cell in first_cells(section("Configuration (environment)")) for name in VARIABLE.findall(cell)}
    assert config_variables() - table == set()
    assert table - config_variables() == {"DOCGEN_UNOSERVER"}  # the one setting read outside Config


def test_every_command_in_the_readmes_table_answers_help() -> None:
    commands = readme_commands()
    assert ("hold", "lift") in commands and ("audit", "verify") in commands  # the table was read
    for command in commands:
        result = CliRunner().invoke(cli, [*command, "--help"])
        assert result.exit_code == 0, f"docgen {' '.join(command)} --help: {result.output}"
        assert "Usage:" in result.output


def test_every_docgen_command_is_in_the_readmes_table() -> None:
    def leaves(group: click.Group, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        context = click.Context(group)
        found: list[tuple[str, ...]] = []
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            if command is None or command.callback is None or not command.callback.__module__.startswith("docgen"):
                continue  # a Flask extension's own command (Flask-Limiter's `limiter`)
            found += leaves(command, prefix + (name,)) if isinstance(command, click.Group) else [prefix + (name,)]
        return found

    assert set(leaves(cli, ())) - set(readme_commands()) == set()


def profile_names(text: str) -> set[str]:
    """The council names listed after `docgen/profiles/…`: in a parenthesis, comma- or semicolon-
    separated, each the first word of its item ("Knowsley by default")."""
    match = re.search(r"`docgen/profiles/[^`]*`: ([^)]*)\)", text)
    assert match, "no list of the built-in profiles"
    return {item.split()[0].lower() for item in re.split(r"[,;]", match[1])}


@pytest.mark.parametrize("doc", ["README.md", "docs/PROFILES.md"])
def test_the_built_in_profiles_listed_are_the_ones_shipped(doc: str) -> None:
    shipped = {path.stem for path in (ROOT / "docgen" / "profiles").glob("*.yaml")}
    assert profile_names(DOCS[doc]) == shipped


def readme_block(marker: str) -> str:
    """The fenced block after `<!-- marker -->` in the README."""
    match = re.search(rf"<!-- {marker} -->\n```\w*\n(.*?)```", README, re.S)
    assert match, f"no block after <!-- {marker} -->"
    return match[1]


def test_the_readmes_profile_example_loads_beside_the_documented_example(tmp_path: Path) -> None:
    example = readme_block("readme-profile-example")
    name = re.search(r"^name: (\S+)$", example, re.M)[1]  # type: ignore[index]
    shutil.copy(EXAMPLE_DIR / "northshire.yaml", tmp_path)
    (tmp_path / f"{name}.yaml").write_text(example)

    profile = load_profile(name, profile_dirs(str(tmp_path)))

    assert (profile.signoff.link_expiry_days, profile.signoff.one_time_code) == (7, True)
    assert profile.roles.keys() == load_profile("northshire", profile_dirs(str(EXAMPLE_DIR))).roles.keys()


BUILT_IN = ("knowsley", "stockport", "southwark", "haringey", "lancashire")


def documented_keys(text: str) -> dict[str, str]:
    """The keys of docs/PROFILES.md's key table, with the 'required?' cell of each: a row names
    keys in backticks, and "`.form`" after "`record_kinds.<key>.title`" means record_kinds.<key>.form."""
    keys: dict[str, str] = {}
    table = text[text.index("| key | required? |"):].split("\n\n", 1)[0]
    for row in re.findall(r"^\| (`[^|]*) \| ([^|]*) \|", table, re.M):
        parent = ""
        for token in re.findall(r"`([^`]+)`", row[0]):
            key = parent + token if token.startswith(".") else token
            parent = key.rsplit(".", 1)[0] if "." in key else ""
            keys[key] = row[1]
    return keys


def general(key: str) -> str:
    """A profile's dotted key as the table names it: a role's, record kind's or staff role's own key
    as <key>, a period's `.text` dropped."""
    key = re.sub(r"^(roles|record_kinds|staff_roles)\.[^.]+", r"\1.<key>", key)
    return key.removesuffix(".text")


def test_docs_profiles_says_of_every_key_a_built_in_profile_uses_whether_it_is_required() -> None:
    """Issue 23, "a council's administrator can start from a small profile": docs/PROFILES.md marks
    each key required or optional, so an administrator writing one from the docs alone knows what
    they may leave out."""
    from workflows.profile_sources import rule_keys

    documented = documented_keys(DOCS["docs/PROFILES.md"])
    used = {general(key) for name in BUILT_IN for key in rule_keys(load_profile(name).model_dump())}
    assert sorted(used - documented.keys()) == []
    assert all(re.search(r"required|optional", documented[key]) for key in used), \
        [key for key in used if not re.search(r"required|optional", documented[key])]


def test_the_readme_names_every_webhook_event_a_receiver_may_subscribe_to() -> None:
    from workflows.webhooks import EVENTS

    section = README[README.index("## Webhooks"):].split("\n## ", 1)[0]
    assert [event for event in EVENTS if f"`{event}`" not in section] == []
