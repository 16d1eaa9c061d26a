"""Shared by the tests of the local chain and the consultation round: a free port for a
`serve`, and the mails `run` writes, read as a mail client reads them (the stdlib email
package decodes quoted-printable and charsets; a personal link is never grepped raw)."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_mail(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and the HTML body, decoded."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())  # type: ignore[attr-defined]


def comment_links(message: EmailMessage) -> tuple[set[str], set[str]]:
    """Every URL with /kommentar/ in its path: in the text part, and the HTML part's hrefs."""
    text, html = parts(message)
    in_text = {u for u in re.findall(r"https?://\S+", text) if "/kommentar/" in urlsplit(u).path}
    in_html = {u for u in re.findall(r'href="([^"]+)"', html) if "/kommentar/" in urlsplit(u).path}
    return in_text, in_html


def invitation_link(mail: Path) -> str:
    """An invitation's one personal link, the same in its text and HTML parts."""
    in_text, in_html = comment_links(read_mail(mail))
    [link] = in_text
    assert link in in_html
    return link
