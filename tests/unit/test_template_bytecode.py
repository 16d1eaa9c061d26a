"""The templates' jinja2 bytecode (danmarkskort/templates.py): compiled once, read at run time,
never trusted when the template, the environment or the versions differ, never written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest
from danmarkskort import templates
from danmarkskort.templates import BuiltBytecode, compile_bytecode, package_environments

TEMPLATE = "{% for x in xs %}\n  <li>{{ x }}</li>\n{% endfor %}\n"


def factory(folder: Path, cache_dir: Path, **options: object) -> Callable[[], jinja2.Environment]:
    def make() -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            **options,  # type: ignore[arg-type]
        )
        env.bytecode_cache = BuiltBytecode(cache_dir, env)
        return env

    return make


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "side.html").write_text(TEMPLATE, encoding="utf-8")
    (folder / "notes.txt").write_text("not a template", encoding="utf-8")
    return folder, tmp_path / "__bytecode__"


def compiles(env: jinja2.Environment) -> list[str]:
    """The names env parses from source from now on (a read from bytecode parses nothing)."""
    parsed: list[str] = []
    original = env._parse

    def parse(source: str, name: str | None, filename: str | None) -> object:
        parsed.append(name or "")
        return original(source, name, filename)

    env._parse = parse  # type: ignore[method-assign,assignment]
    return parsed


def test_compiled_once_then_read_without_parsing(site):
    folder, cache_dir = site
    make = factory(folder, cache_dir, trim_blocks=True)
    [written] = compile_bytecode([make])  # notes.txt is no template
    assert written.parent == cache_dir and written.is_file()
    env = make()
    parsed = compiles(env)
    out = env.get_template("side.html").render(xs=["<a>", "b"])
    assert parsed == []
    assert out == jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder), autoescape=True, trim_blocks=True
    ).get_template("side.html").render(xs=["<a>", "b"])
    assert "&lt;a&gt;" in out


def test_a_template_changed_since_is_compiled_from_its_source(site):
    folder, cache_dir = site
    make = factory(folder, cache_dir)
    compile_bytecode([make])
    (folder / "side.html").write_text("<p>{{ xs|length }} ting</p>", encoding="utf-8")
    env = make()
    parsed = compiles(env)
    assert env.get_template("side.html").render(xs=[1, 2]) == "<p>2 ting</p>"
    assert parsed == ["side.html"]


def test_other_options_never_read_the_bytecode_of_others(site):
    """trim_blocks changes the code a template compiles to, not its source: the file's name
    carries the options, so an environment with other options compiles anew."""
    folder, cache_dir = site
    compile_bytecode([factory(folder, cache_dir, trim_blocks=True)])
    plain = factory(folder, cache_dir)()
    parsed = compiles(plain)
    out = plain.get_template("side.html").render(xs=["a"])
    assert parsed == ["side.html"]
    assert out == "\n  <li>a</li>\n"  # not trimmed: its own compile, not the other's code


def test_reading_never_writes(site):
    folder, cache_dir = site
    env = factory(folder, cache_dir)()
    assert env.get_template("side.html").render(xs=[]) == ""
    assert not cache_dir.exists()  # a Lambda layer is read only: nothing is tried


def test_a_filter_handed_other_arguments_is_compiled_anew(site):
    """Whether a filter is handed the context is compiled into the calls of a template."""
    folder, cache_dir = site
    (folder / "f.html").write_text("{{ 'a'|mark }}", encoding="utf-8")

    def make(with_context: bool) -> Callable[[], jinja2.Environment]:
        def plain(v: str) -> str:
            return v + "!"

        def with_ctx(ctx: object, v: str) -> str:
            return v + "?"

        mark = jinja2.pass_context(with_ctx) if with_context else plain

        def build() -> jinja2.Environment:
            env = factory(folder, cache_dir)()
            env.filters["mark"] = mark
            return env

        return build

    compile_bytecode([make(False)])
    assert make(True)().get_template("f.html").render() == "a?"
    assert make(False)().get_template("f.html").render() == "a!"


@pytest.mark.parametrize("damage", ["empty", "short", "other", "cut", "garbage", "pickled"])
def test_a_damaged_file_is_ignored(site, damage):
    folder, cache_dir = site
    make = factory(folder, cache_dir)
    [written] = compile_bytecode([make])
    whole, magic = written.read_bytes(), jinja2.bccache.bc_magic
    written.write_bytes(
        {
            "empty": b"",
            "short": magic[:2],
            "other": b"not bytecode at all" * 10,
            "cut": whole[: len(whole) // 2],
            "garbage": magic + b"\x80\x04garbage" * 20,
            "pickled": magic + b"cbuiltins\nint\n(I1\nI2\ntR.",  # unpickles to a TypeError
        }[damage]
    )
    assert make().get_template("side.html").render(xs=["x"]) == "\n  <li>x</li>\n"


def test_bytecode_of_another_python_or_jinja_is_ignored(site, monkeypatch):
    folder, cache_dir = site
    make = factory(folder, cache_dir)
    compile_bytecode([make])
    monkeypatch.setattr(jinja2.bccache, "bc_magic", b"j2-other-version")
    env = make()
    parsed = compiles(env)
    env.get_template("side.html")
    assert parsed == ["side.html"]


def test_an_environment_without_it_is_refused(site):
    folder, _ = site
    with pytest.raises(TypeError, match="BuiltBytecode"):
        compile_bytecode([lambda: jinja2.Environment(loader=jinja2.FileSystemLoader(folder))])


def test_every_environment_of_the_package_reads_its_own_folder():
    for make in package_environments():
        env = make()
        cache = env.bytecode_cache
        assert isinstance(cache, BuiltBytecode) and cache.env is env
        assert cache.directory.name == templates.FOLDER
        assert (cache.directory.parent / "templates").is_dir()
        assert not cache.writing
