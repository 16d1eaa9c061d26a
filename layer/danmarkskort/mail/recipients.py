"""Who gets each municipality's mail: recipients.json (kommunekode → addresses), as data.

Everything that ends up in a mail header is checked here, before anything is sent: an
address must be a plain ASCII address and no value may carry a line break (a CR/LF in a
header value is how header injection works).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.headerregistry import Address

from danmarkskort.config.sources import ConfigError, ConfigSource, require
from danmarkskort.domain.municipalities import registry

RECIPIENTS_FILE = "recipients.json"

# Deliberately stricter than RFC 5322: what SES accepts and municipal mail servers expect.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str = ""

    def header(self) -> Address:
        user, _, domain = self.address.partition("@")
        return Address(display_name=self.name, username=user, domain=domain)


class RecipientBook:
    """The recipients per kommunekode; a code without an entry has no recipients."""

    def __init__(self, entries: dict[str, tuple[Recipient, ...]]):
        self._entries = entries

    def for_municipality(self, kommunekode: str) -> tuple[Recipient, ...]:
        return self._entries.get(kommunekode, ())

    def __len__(self) -> int:
        return len(self._entries)


def check_address(value: object, where: str) -> str:
    """A single plain address, or ConfigError naming where it came from."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be an email address as text, not {value!r}")
    if _CONTROL.search(value):
        raise ConfigError(
            f"{where}: {value!r} contains a line break or control character (header injection)"
        )
    text = value.strip()
    if len(text) > 254 or not _ADDRESS.fullmatch(text):
        raise ConfigError(f"{where}: {value!r} is not a valid email address")
    return text


def check_header_text(value: object, where: str) -> str:
    """A display name or subject: text without line breaks or control characters."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be text, not {value!r}")
    if _CONTROL.search(value):
        raise ConfigError(
            f"{where}: {value!r} contains a line break or control character (header injection)"
        )
    return value.strip()


def parse_recipients(data: bytes, source: str = RECIPIENTS_FILE) -> RecipientBook:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{source}: not valid JSON: {exc}") from exc
    table = doc.get("recipients") if isinstance(doc, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(
            f"{source}: the top level must be an object with an object 'recipients' "
            '(kommunekode → addresses, e.g. {"155": ["post@dragoer.dk"]})'
        )
    entries: dict[str, tuple[Recipient, ...]] = {}
    for key, value in table.items():
        where = f"{source}: recipients[{key!r}]"
        hit = registry().resolve(key)
        if hit.kind != "municipality" or hit.municipality is None or not key.strip().isdigit():
            raise ConfigError(f"{where}: {key!r} is not the kommunekode of one of the 98")
        code = hit.municipality.code
        if code in entries:
            raise ConfigError(f"{where}: kommunekode {code} appears more than once")
        items = value if isinstance(value, list) else [value]
        recipients: dict[str, Recipient] = {}
        for i, item in enumerate(items):
            here = f"{where}[{i}]"
            if isinstance(item, str):
                address, name = check_address(item, here), ""
            elif isinstance(item, dict):
                unknown = set(item) - {"address", "name"}
                if unknown:
                    raise ConfigError(f"{here}: unknown field(s) {', '.join(sorted(unknown))}")
                address = check_address(item.get("address"), f"{here} field 'address'")
                name = check_header_text(item.get("name", ""), f"{here} field 'name'")
            else:
                raise ConfigError(f"{here}: must be an address or an object with 'address'")
            recipients.setdefault(address.lower(), Recipient(address, name))
        if recipients:
            entries[code] = tuple(recipients.values())
    return RecipientBook(entries)


def load_recipients(source: ConfigSource) -> RecipientBook:
    return parse_recipients(require(source, RECIPIENTS_FILE))
