"""Who gets each municipality's mail: recipients.json (kommunekode → addresses), as data.

Everything that ends up in a mail header is checked before anything is sent, by the rules
in config.fields: an address must be a plain ASCII address and no value may carry a line
break (a CR/LF in a header value is how header injection works).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.headerregistry import Address
from email.policy import SMTP

from danmarkskort.config.fields import address_problem, unsafe_character
from danmarkskort.config.loader import load, parse
from danmarkskort.config.models import RecipientsFile
from danmarkskort.config.sources import ConfigError, ConfigSource


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str = ""


def address_header(field: str, people: Iterable[Recipient]) -> str:
    """The folded value of From, To or Reply-To, for the compat32 generator that writes the
    mail (it keeps the folds): folded by the modern email API, which cuts a long non-ASCII
    display name into encoded words that each fit a line (RFC 2047) and quotes an ASCII one
    where it must."""
    addresses = [Address(display_name=r.name, addr_spec=r.address) for r in people]
    name, header = SMTP.header_store_parse(field, addresses)
    folded = SMTP.fold(name, header)  # 'To: …\r\n …\r\n'
    return folded[len(field) + 2 :].rstrip("\r\n").replace("\r\n", "\n")


class RecipientBook:
    """The recipients per kommunekode; a code without an entry has no recipients."""

    def __init__(self, entries: dict[str, tuple[Recipient, ...]]):
        self._entries = entries

    def for_municipality(self, kommunekode: str) -> tuple[Recipient, ...]:
        return self._entries.get(kommunekode, ())

    def __len__(self) -> int:
        return len(self._entries)


def check_address(value: object, where: str) -> str:
    """A single plain address (e.g. from an environment variable), or ConfigError naming
    where it came from. The same rule as an address in recipients.json."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be an email address as text, not {value!r}")
    if problem := address_problem(value):
        raise ConfigError(f"{where}: {value!r} {problem}")
    return value.strip()


def check_header_text(value: object, where: str) -> str:
    """A display name or subject: text without line breaks or control characters."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be text, not {value!r}")
    if unsafe_character(value):
        raise ConfigError(
            f"{where}: {value!r} contains a line break or control character (header injection)"
        )
    return value.strip()


def parse_recipients(data: bytes) -> RecipientBook:
    """recipients.json's bytes as a RecipientBook; ConfigError names the file and entry."""
    return _book(parse(data, RecipientsFile))


def load_recipients(source: ConfigSource) -> RecipientBook:
    """recipients.json from the source (the bundled placeholders stand last)."""
    return _book(load(source, RecipientsFile))


def _book(doc: RecipientsFile) -> RecipientBook:
    entries: dict[str, tuple[Recipient, ...]] = {}
    for code, items in doc.recipients.items():
        recipients: dict[str, Recipient] = {}
        for item in items:  # the same address twice (in any case) is sent to once
            recipients.setdefault(item.address.lower(), Recipient(item.address, item.name))
        if recipients:
            entries[code] = tuple(recipients.values())
    return RecipientBook(entries)
