"""Where the userinfo of a URL (`scheme://user:password@host`) is in any text, found as the most generous of
its readers would find it, so that what masks it never leaves a piece of a password in clear.

Readers disagree: urllib and browsers end the userinfo at the last `@` before the first `/`, `?` or `#`;
libpq ends it at the first `@` and gives up at a `/`. A password written with an unencoded `@`, `/`, `?`
or `#` (`user:p@ss@host`, `user:pa/ss@host`) is therefore found whole here:

- a URL runs from its `scheme://` to the first whitespace; a `${...}` reference in it is opaque (its
  default may hold any character);
- the authority runs to the first `/`, `?` or `#`; if it holds an `@`, the userinfo is all before the last;
- else, if the authority has a `:` that is no port (`host:8080`, `[::1]:5432` and `host:${env.PORT}` are
  ports), the password went on past a separator: the userinfo runs to the next `@` (and on to the last
  `@` before the separator after that). So `http://host/path@x` and `http://host:8080/a@b` keep their host.

The userinfo is `user:password` or a user part alone. A password is always a secret. A user part is a
secret when it reads as a token (`looks_like_token`): a known token prefix (`ghp_`, `github_pat_`,
`glpat-`, `sk-`, `xoxb-`, `hf_`, ...) or TOKEN_LENGTH characters or more; a plain user name (`postgres`,
`bob`), which errors need, stays. This module knows nothing of `${env.*}` semantics: callers that do
decide how a part with references is shown (`stackctl.config.secrets.mask_url_userinfo`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

TOKEN_LENGTH = 20
MASKS = ("****", "********")  # a part masked already is masked once
MIN_PIECE = 4  # shorter pieces of a password are not masked on their own (they would mask every such letter)
_URL_START = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://")
_TOKEN_PREFIX = re.compile(r"(?i)(?:gh[opusr]_|github_pat_|glpat-|gldt-|sk-|xox[a-z]-|hf_|npm_|pypi-|AKIA)")
_PORT = re.compile(r"\d*|\$\{[^{}]*\}")
_PIECE_BREAK = re.compile(r"[@/:?#]")


@dataclass(frozen=True)
class Userinfo:
    """One URL's userinfo in a text: `text[start:end]`, `end` being its `@`; `colon` splits user and
    password (None: a user part alone)."""

    start: int
    end: int
    colon: int | None

    def parts(self, text: str) -> tuple[str, str | None]:
        if self.colon is None:
            return text[self.start : self.end], None
        return text[self.start : self.colon], text[self.colon + 1 : self.end]


def looks_like_token(user: str) -> bool:
    """Whether a URL's user part reads as a token rather than a user name."""
    return len(user) >= TOKEN_LENGTH or _TOKEN_PREFIX.match(user) is not None


def find_userinfo(text: str) -> list[Userinfo]:
    """Every URL userinfo in the text, in order (see the module for the rule)."""
    found: list[Userinfo] = []
    for match in _URL_START.finditer(text):
        start = match.end()
        if found and start < found[-1].end:
            continue  # a scheme inside the userinfo just found
        info = _userinfo_at(text, start)
        if info is not None:
            found.append(info)
    return found


def _marks(text: str, start: int) -> tuple[int, list[int], list[int], list[int]]:
    """From `start` to the URL's end: that end, and where its `@`s, separators and colons are (outside
    references)."""
    ats: list[int] = []
    separators: list[int] = []
    colons: list[int] = []
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if text.startswith("${", index):
            depth, index = depth + 1, index + 2
            continue
        if char == "\n" or (char.isspace() and not depth):
            break
        if depth:
            if char == "}":
                depth -= 1
        elif char == "@":
            ats.append(index)
        elif char in "/?#":
            separators.append(index)
        elif char == ":":
            colons.append(index)
        index += 1
    return index, ats, separators, colons


def _userinfo_at(text: str, start: int) -> Userinfo | None:
    end_of_url, ats, separators, colons = _marks(text, start)
    authority_end = separators[0] if separators else end_of_url
    inside = [at for at in ats if at < authority_end]
    if inside:
        end = inside[-1]
    else:
        later = [at for at in ats if at > authority_end]
        if not later or not _password_goes_on(text, start, authority_end, colons):
            return None
        next_separator = next((s for s in separators if s > later[0]), end_of_url)
        end = max(at for at in later if at < next_separator)
    colon = next((c for c in colons if c < end), None)
    return Userinfo(start, end, colon)


def _password_goes_on(text: str, start: int, authority_end: int, colons: list[int]) -> bool:
    """Whether an authority without `@` is `user:pass...` cut short by a separator, not `host[:port]`."""
    host_end = start
    if text.startswith("[", start):  # an IPv6 literal: its colons are the address
        close = text.find("]", start, authority_end)
        host_end = close if close >= 0 else authority_end
    after = [c for c in colons if host_end <= c < authority_end]
    if not after:
        return False
    return not (len(after) == 1 and _PORT.fullmatch(text, after[0] + 1, authority_end))


def replace_userinfo(text: str, show_user: Callable[[str], str], show_password: Callable[[str], str]) -> str:
    """The text with each URL's user part and password replaced by what the callables show of them."""
    out: list[str] = []
    last = 0
    for info in find_userinfo(text):
        user, password = info.parts(text)
        out.append(text[last : info.start])
        out.append(show_user(user) if password is None else f"{show_user(user)}:{show_password(password)}")
        last = info.end
    out.append(text[last:])
    return "".join(out)


def mask_userinfo(text: str, mask: str) -> str:
    """Every URL's password, and a user part that reads as a token, replaced by `mask` (no reference
    is kept: for text, such as a database location, that is never substituted)."""
    if "@" not in text:
        return text
    return replace_userinfo(
        text,
        lambda user: mask if looks_like_token(user) and user not in MASKS else user,
        lambda password: password if password in ("", *MASKS) else mask,
    )


def mask_secrets_of(url: str, text: str, mask: str) -> str:
    """The text (an error about `url`, say) with the secrets of `url`'s userinfo masked, also the pieces a
    reader split off them (libpq reads `user:p@ss@host` as the password `p` and the host `ss@host`), and
    with the userinfo of every URL it quotes masked."""
    pieces: set[str] = set()
    for info in find_userinfo(url):
        user, password = info.parts(url)
        for secret in (password or "", user if looks_like_token(user) else ""):
            pieces.update([secret, *_PIECE_BREAK.split(secret)])
    kept = sorted((p for p in pieces if len(p) >= MIN_PIECE and p not in MASKS), key=len, reverse=True)
    if kept:
        text = re.sub("|".join(re.escape(p) for p in kept), mask, text)
    return mask_userinfo(text, mask)
