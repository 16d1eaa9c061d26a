"""The consultation round through the command line (issue 11): `run EXTRACT --hoering --state
DIR` opens a round (98 invitations, each with one personal comment link; a private preview,
nothing published), a comment goes in through the comment function on the state (the
handler `serve --state` uses), `publish` ends the round with the comment in the final mail,
and the refusals say why: no --state, no round, a state `serve` holds, a round published
already. One `run --hoering` for the whole module.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from danmarkskort_tools.cli import main
from danmarkskort_tools.generator import write_extract
from danmarkskort_tools.local import LocalAws, LocalState, load_stack
from danmarkskort_tools.local.aws import LOCAL_SENDER
from danmarkskort_tools.local.chain import local_site_url

from tests.invitations import comment_links, free_port, parts, read_mail
from tests.local_serve import serving

REPO = Path(__file__).resolve().parents[2]
COMMENT = "Vi har truffet 412 afgørelser i alt; <b>kun</b> 4 blev påklaget & realitetsbehandlet."
FIELD = "kommentar-socialomraadet"
UA = "test_consultation_cli"


@dataclass
class Round:
    root: Path
    extract: Path
    state: Path
    out: Path
    port: int
    code: int
    stdout: str
    mails: dict[str, bytes]  # as `run --hoering` wrote them: later tests publish over them
    site_existed: bool
    preview_index: bool

    @property
    def site_url(self) -> str:
        return local_site_url(self.port)

    def args(self) -> list[str]:
        return ["--state", str(self.state), "--out", str(self.out), "--port", str(self.port)]


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hoering-extract") / "udtræk 2024-2025.csv"
    write_extract(path, years=[2024, 2025], cases_per_year=3000, seed=11)
    return path


@pytest.fixture(scope="module")
def opened(extract: Path, tmp_path_factory: pytest.TempPathFactory) -> Round:
    """`danmarkskort run EXTRACT --hoering --state DIR`, once for the module."""
    import contextlib
    import io

    root = tmp_path_factory.mktemp("hoering")
    port = free_port()
    state, out = root / "state", root / "out"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(
            [
                "run",
                str(extract),
                "--hoering",
                "--state",
                str(state),
                "--out",
                str(out),
                "--port",
                str(port),
            ]
        )
    return Round(
        root=root,
        extract=extract,
        state=state,
        out=out,
        port=port,
        code=code,
        stdout=stdout.getvalue(),
        mails={p.name: p.read_bytes() for p in sorted((out / "outbox").glob("*.eml"))},
        site_existed=(out / "site").exists(),
        preview_index=(out / "preview" / "index.html").is_file(),
    )


def test_run_hoering_without_a_state_is_refused(extract, tmp_path, capsys) -> None:
    assert main(["run", str(extract), "--hoering", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "run --hoering needs --state DIR" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_run_hoering_writes_98_invitations_and_a_preview_and_publishes_nothing(opened) -> None:
    assert opened.code == 0, opened.stdout
    assert "opened: nothing is published yet" in opened.stdout
    assert len(opened.mails) == 98
    assert not opened.site_existed  # a fresh state: no public figures of the year exist
    assert opened.preview_index


def test_each_invitation_has_one_personal_comment_link(opened) -> None:
    tokens: dict[str, str] = {}
    for name, raw in opened.mails.items():
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        assert str(message["Subject"]).startswith("Høring:"), (name, message["Subject"])
        in_text, in_html = comment_links(message)
        assert len(in_text) == 1, (name, in_text)
        assert in_html == in_text, (name, in_html, in_text)  # the same one link in both parts
        [link] = in_text
        assert link.startswith(opened.site_url + "/kommentar/"), link
        tokens[name] = urlsplit(link).path.removeprefix("/kommentar/")
    assert len(set(tokens.values())) == 98  # every municipality its own link
    assert all(f".{name.removesuffix('.eml')}." in tok for name, tok in tokens.items())


def test_publish_on_a_state_without_a_round_says_so(tmp_path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["publish", "--state", str(empty), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "holds no local state" in err and "--hoering" in err
    # A state that never had a round (as a plain `run --state` leaves it, without the run).
    state = tmp_path / "state"
    with LocalState(state) as s, LocalAws(load_stack(REPO, {"SenderAddress": LOCAL_SENDER})) as a:
        s.save(a)
    assert main(["publish", "--state", str(state), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "no consultation round was ever opened" in err and "Traceback" not in err
    assert not list(tmp_path.glob("out/outbox/*.eml"))


def test_a_refused_publish_leaves_the_output_directory_alone(tmp_path, capsys) -> None:
    state = tmp_path / "state"
    with LocalState(state) as s, LocalAws(load_stack(REPO, {"SenderAddress": LOCAL_SENDER})) as a:
        s.save(a)
    out = tmp_path / "out"
    (out / "site").mkdir(parents=True)
    (out / "site" / "index.html").write_text("<!doctype html><title>offentligt</title>")
    (out / "outbox").mkdir()
    (out / "outbox" / "155.eml").write_bytes(b"Subject: sendt\n\nsendt\n")
    assert main(["publish", "--state", str(state), "--out", str(out)]) == 1
    assert "no consultation round was ever opened" in capsys.readouterr().err
    assert (out / "site" / "index.html").is_file()
    assert (out / "outbox" / "155.eml").is_file()


def test_publish_is_refused_while_serve_holds_the_state(opened, capsys) -> None:
    with serving(opened.out, free_port(), state=opened.state):
        assert main(["publish", *opened.args()]) == 1
        err = capsys.readouterr().err
        assert "in use by another danmarkskort command" in err, err
        assert "serve" in err and "stop" in err, err  # says what holds it and what to do
        assert str(opened.state) in err and "Traceback" not in err
    assert not (opened.out / "site").exists()  # nothing was published


@dataclass
class Published:
    code: int
    stdout: str
    receipt: str
    after: dict[str, bytes]


def post_comment(opened: Round, code: str, text: str) -> str:
    """GET the comment page for the csrf field, POST the comment as the browser's form would;
    the receipt page it leads to."""
    from danmarkskort_tools.local.comment_server import CommentServer

    [link] = comment_links(read_mail(opened.out / "outbox" / f"{code}.eml"))[0]
    path = urlsplit(link).path
    headers = {"user-agent": UA}
    with CommentServer(opened.state, opened.site_url) as server:
        page = server.handle("GET", path, headers=headers)
        assert page.status == 200, page.body[:500]
        match = re.search(rb'name="csrf" value="([^"]+)"', page.body)
        assert match, page.body[:2000]
        posted = server.handle(
            "POST",
            path,
            headers={
                **headers,
                "content-type": "application/x-www-form-urlencoded",
                "origin": opened.site_url,
            },
            body=urlencode([("csrf", match.group(1).decode()), (FIELD, text)]).encode(),
        )
        assert posted.status in (200, 303), (posted.status, posted.body[:1000])
        receipt = posted
        if posted.status == 303:
            where = urlsplit(posted.headers.get("Location") or posted.headers["location"])
            receipt = server.handle("GET", where.path, query=where.query, headers=headers)
        assert receipt.status == 200, receipt.body[:500]
        assert server.saves == 1  # the state is saved after the comment
    return receipt.body.decode("utf-8")


@pytest.fixture(scope="module")
def published(opened: Round) -> Published:
    import contextlib
    import io

    assert opened.code == 0, opened.stdout
    receipt = post_comment(opened, "155", COMMENT)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["publish", *opened.args()])
    after = {p.name: p.read_bytes() for p in sorted((opened.out / "outbox").glob("*.eml"))}
    return Published(code=code, stdout=stdout.getvalue(), receipt=receipt, after=after)


def test_a_comment_is_published_into_the_final_mail(opened, published) -> None:
    import html as html_module

    assert html_module.escape(COMMENT, quote=False) in published.receipt
    assert published.code == 0, published.stdout
    assert "1 comment" in published.stdout
    assert len(published.after) == 98
    assert (opened.out / "site" / "index.html").is_file()
    message = read_mail(opened.out / "outbox" / "155.eml")
    assert not str(message["Subject"]).startswith("Høring:")
    assert comment_links(message) == (set(), set())  # the round is over: no comment link
    text, html = parts(message)
    # under its heading, the words as the municipality wrote them (the text part is wrapped)
    flat = " ".join(text.split())
    assert f"Kommunens egen kommentar {COMMENT} Kilde: Dragør Kommune." in flat
    # the HTML part shows the words escaped, as text
    assert "Kommunens egen kommentar" in html
    assert html_module.escape(COMMENT, quote=False) in html and "<b>kun</b>" not in html
    # another municipality's final mail carries no comment of Dragør's
    other, other_html = parts(read_mail(opened.out / "outbox" / "147.eml"))
    assert "Kommunens egen kommentar" not in other and "412 afgørelser" not in other_html


@pytest.fixture(scope="module")
def published_again(opened, published) -> tuple[int, str, float]:
    import contextlib
    import io

    assert published.code == 0
    started = time.time()
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["publish", *opened.args()])
    return code, err.getvalue(), started


def test_a_second_publish_says_the_round_is_published_and_sends_no_mail(
    opened, published_again
) -> None:
    code, err, started = published_again
    assert code == 1
    assert "is published already" in err and "Traceback" not in err
    written = [
        p.name for p in (opened.out / "outbox").glob("*.eml") if p.stat().st_mtime >= started
    ]
    assert written == []


def test_a_second_publish_keeps_the_published_site_and_the_final_mails(
    opened, published, published_again
) -> None:
    assert published_again[0] == 1
    assert (opened.out / "site" / "index.html").is_file()
    now = {p.name: p.read_bytes() for p in sorted((opened.out / "outbox").glob("*.eml"))}
    assert now == published.after
