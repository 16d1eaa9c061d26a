"""The templates' jinja2 bytecode, compiled when the package is built, read when it runs.

Parsing and compiling the fifteen templates of the site took about 0.3 s of a cold render
(a seventh of it; bench/render.py), in every new Lambda container. `make build` (through
bench/lambda_package.py) and `make bench` compile each environment's templates once into
``<package>/__bytecode__/``; at run time the environments read those files and never write.
jinja2 itself checks a file against its template's source (a checksum) and the Python and
jinja2 versions, and the file's name here carries the environment's options too, so a
template, option or library changed since is compiled in memory as it would be without the
files. Like ``__pycache__``, the folder is generated and never committed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, BytecodeCache

from danmarkskort.log import child_logger

FOLDER = "__bytecode__"


class BuiltBytecode(BytecodeCache):
    """The bytecode files of one package's templates; written only while compiling."""

    def __init__(self, directory: Path, env: jinja2.Environment) -> None:
        self.directory = directory
        self.env = env
        self.writing = False

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        """The template's name and what of the environment shapes its code, not its file's
        path (the build's folder is not the one the layer is unpacked in)."""
        env = self.env
        shape = (
            jinja2.__version__,
            name,
            env.trim_blocks,
            env.lstrip_blocks,
            env.keep_trailing_newline,
            env.newline_sequence,
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.optimized,
            env.is_async,
            env.autoescape(name) if callable(env.autoescape) else env.autoescape,
            _passes(env.finalize) if env.finalize is not None else None,
            tuple(sorted(env.extensions)),
            # what a filter or test is handed (context, environment) is compiled into the
            # calls of the templates that use it
            tuple(sorted((n, _passes(f)) for n, f in env.filters.items())),
            tuple(sorted((n, _passes(f)) for n, f in env.tests.items())),
        )
        return hashlib.sha256(repr(shape).encode()).hexdigest()[:40]

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            with open(self.directory / f"{bucket.key}.cache", "rb") as f:
                bucket.load_bytecode(f)  # resets itself when the source or versions differ
        except FileNotFoundError:
            return
        except Exception as exc:  # unpickling a damaged file can raise almost anything
            # A damaged file costs a compile, never the page.
            child_logger(__name__).warning(
                "template bytecode of %s unreadable (%s)", bucket.key, exc
            )
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        if not self.writing:
            return
        self.directory.mkdir(exist_ok=True)
        path = self.directory / f"{bucket.key}.cache"
        part = path.with_suffix(".part")
        with open(part, "wb") as f:
            bucket.write_bytecode(f)
        part.replace(path)


def with_built_bytecode(env: jinja2.Environment, package: str) -> jinja2.Environment:
    """``env`` reading the bytecode compiled for ``package``'s templates, if there is any."""
    env.bytecode_cache = BuiltBytecode(Path(str(resources.files(package))) / FOLDER, env)
    return env


def compile_bytecode(environments: Iterable[Callable[[], jinja2.Environment]]) -> list[Path]:
    """Compile every template of each environment and write its bytecode; the files
    written. Run in a fresh process (an environment's loaded templates are not reloaded)."""
    written: list[Path] = []
    for make in environments:
        env = make()
        cache = env.bytecode_cache
        if not isinstance(cache, BuiltBytecode):
            raise TypeError(f"{make.__qualname__} has no BuiltBytecode (with_built_bytecode)")
        if cache.directory.is_dir():
            for old in cache.directory.glob("*.cache"):
                old.unlink()
        cache.writing = True
        try:
            names = env.list_templates(filter_func=_is_template)
            for name in names:
                env.get_template(name)
        finally:
            cache.writing = False
        written += [cache.directory / f"{cache.get_cache_key(n)}.cache" for n in names]
    return written


def _passes(f: object) -> str:
    """What jinja2 hands the filter, test or finalize function besides its value."""
    return str(getattr(f, "jinja_pass_arg", ""))


def _is_template(name: str) -> bool:
    return name.endswith((".html", ".svg", ".j2", ".xml"))


def package_environments() -> list[Callable[[], jinja2.Environment]]:
    """Every environment of the package (render, mail, the comment page)."""
    from danmarkskort.hoering import page
    from danmarkskort.mail import compose
    from danmarkskort.render import site

    return [site.environment, compose.environment, page.environment]
