"""What `danmarkskort serve` answers: the published site (OUT/site) at /, a consultation
round's private preview (OUT/preview) at /forhaandsvisning/, and, with --state, the comment
pages at /kommentar/... through the comment function (local/comment_server.py)."""

from __future__ import annotations

import functools
import http.server
import urllib.parse
from pathlib import Path
from typing import Any

from danmarkskort_tools.local.chain import PREVIEW_PATH
from danmarkskort_tools.local.comment_server import CommentServer

COMMENT_PATH = "/kommentar/"
MAX_BODY = 1024 * 1024  # a function URL takes 6 MB; the comment function refuses far less


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files from the site (or the preview), the comment pages from the handler."""

    preview: Path | None = None
    comments: CommentServer | None = None

    def __init__(
        self, *args: Any, preview: Path | None, comments: CommentServer | None, **kwargs: Any
    ) -> None:
        self.preview = preview
        self.comments = comments
        super().__init__(*args, **kwargs)

    # --- routing ------------------------------------------------------------------------

    def _is_comment(self) -> bool:
        return urllib.parse.urlsplit(self.path).path.startswith(COMMENT_PATH)

    def translate_path(self, path: str) -> str:
        """/forhaandsvisning/... from the preview; everything else from the site."""
        bare = urllib.parse.urlsplit(path).path
        if self.preview is not None and bare.startswith(PREVIEW_PATH):
            rest = bare[len(PREVIEW_PATH) - 1 :]
            saved = self.directory
            self.directory = str(self.preview)
            try:
                return super().translate_path(rest)
            finally:
                self.directory = saved
        return super().translate_path(path)

    def do_GET(self) -> None:
        if self._is_comment():
            self._through_function("GET")
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        if self._is_comment():
            self._through_function("HEAD")
        else:
            super().do_HEAD()

    def do_POST(self) -> None:
        if self._is_comment():
            self._through_function("POST")
        else:
            self.send_error(405, "Method Not Allowed")

    # --- the comment function -------------------------------------------------------------

    def _through_function(self, method: str) -> None:
        if self.comments is None:
            self._plain(
                404,
                "Kommentarsiderne vises kun, når serve kender høringens tilstand: "
                "danmarkskort serve OUT --state DIR\n",
            )
            return
        length_header = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_header)
        except ValueError:
            self._plain(400, "Content-Length er ikke et tal.\n")
            return
        if length < 0 or length > MAX_BODY:
            self._plain(413, "Forespørgslen er for stor.\n")
            return
        body = self.rfile.read(length) if length else None
        parts = urllib.parse.urlsplit(self.path)
        headers = {name: value for name, value in self.headers.items()}
        response = self.comments.handle(
            method,
            parts.path,
            query=parts.query,
            headers=headers,
            body=body,
            source_ip=self.client_address[0],
        )
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        for cookie in response.cookies:
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(response.body)

    def _plain(self, status: int, text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def handler_for(
    site: Path, preview: Path | None, comments: CommentServer | None
) -> functools.partial[SiteHandler]:
    return functools.partial(SiteHandler, directory=str(site), preview=preview, comments=comments)
