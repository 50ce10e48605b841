"""Which config fields hold secrets, redaction of them for display, and the error for one left unset.

Secret by name: api_key, token, password, passwd, passphrase, secret (client_secret), credential,
private_key, client_key, connection_string, dsn, a name ending in access_key or signing_key (not
`aws_access_key_id`: the public half, secret only where a schema marks it), a field named exactly `key`,
and what carries a credential: authorization, bearer, cookie (as the name's last word, or before
header/value: `Authorization`, `proxy_authorization`, `session_cookie`). Names that say how many or which
are not secrets: `max_tokens`, `token_count`, `secret_name`, `api_key_type`, `cookie_name`,
`authorization_url`; nor is a key that is no credential (`cache_key`, `primary_key`, `keyword`, `monkey`).

URL userinfo (found as `stackctl.userinfo` finds it: a password with an unencoded `@` or `/` is found whole,
`http://host/path@x` has none): the password is masked wherever it appears (`https://user:****@host`), and
so is a user part that reads as a token (a known prefix such as `ghp_`, `github_pat_`, `glpat-`, `sk-`,
`xoxb-`, or 20 characters or more: `https://****@github.com`); a plain user name (`postgres`, `bob`) stays,
errors need it. A `${env.*}` reference is kept, it names a variable, but the literal text of its default
or alternative goes (`${env.PW:=****}`), as in a secret field. `has_literal_url_secret` is what `register`
refuses: a password with no reference in it, or a literal token as the user.

Secret values: the value of a variable used in a secret field, or of any variable whose name looks secret
(`*_KEY`, `*_TOKEN`, `*_SECRET`, `*PASSWORD*`, see `is_secret_variable`), is a secret wherever it lands: the
substitution collects these values (`Substituter.secret_values`) and `mask_values` masks every occurrence
of them in output, errors and what is stored. Values shorter than `MIN_SECRET_LENGTH` are not masked (a
one-letter value would mask every such letter in the document).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from stackctl.userinfo import find_userinfo, looks_like_token, replace_userinfo

MASK = "********"
MIN_SECRET_LENGTH = 4
_SECRET_VARIABLE = re.compile(r"(?i)(?:.+_(?:KEY|TOKEN|SECRET)|.*PASSWORD.*)")
URL_MASK = "****"
SECRET_MARKERS: tuple[str, ...] = (
    "api_key",
    "token",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "credential",
    "private_key",
    "client_key",
    "connection_string",
)
_FLAT_MARKERS = tuple(marker.replace("_", "") for marker in SECRET_MARKERS if marker != "token")
# Keys that are credentials when the name ends in them (`access_key`, `s3_signing_key`); an `_id` after one
# names the key's public half (`aws_access_key_id`, secret only where the provider's schema marks it).
_END_MARKERS = ("accesskey", "signingkey")
_WORD_MARKERS = ("dsn",)  # whole words only: `db_dsn` is secret, `cmdsnapshot` is not
# What carries a credential (a header or its value): secret as the last word (`Authorization`,
# `proxy_authorization`, `session_cookie`) or before one of `_CARRIED` (`authorization_header`); not where a
# later word says it is something else (`authorization_url`, `cookie_domain`).
_CARRIER_WORDS = frozenset({"authorization", "bearer", "cookie", "cookies"})
_CARRIED = frozenset({"header", "headers", "value", "string", "text"})
# A last word that makes the name a count, a label or a kind of the secret, not the secret itself.
_NOT_SECRET_LAST = frozenset({"count", "counts", "name", "names", "type", "limit", "length", "size"})
_TOKEN = re.compile("token")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_BREAK = re.compile(r"[^a-z0-9]+")
# `tokens` is mostly a count (max_tokens); after these words it is a set of credentials (auth_tokens).
_CREDENTIAL_WORDS = ("auth", "access", "refresh", "bearer", "api", "session")


@lru_cache(maxsize=4096)  # called for every substituted field; names repeat
def is_secret_name(field_name: str) -> bool:
    """True when a config field's name contains a secret marker (api_key, token, password, ...).

    The name is compared without case or separators, so `apiKey`, `dbpassword`, `aws_secret_access_key`
    and `authToken` are secret. A token count or tool is not: `max_tokens`, `tokenizer`, `tokenise`; but
    `token_string` and `tokenSignature` are (only a word that ENDS in `tokens` reads as a count).
    """
    words = [w for w in _WORD_BREAK.split(_CAMEL_BOUNDARY.sub("_", field_name).lower()) if w]
    if len(words) > 1 and words[-1] in _NOT_SECRET_LAST:
        return False
    if words == ["key"] or _carries_credential(words):
        return True  # `key` alone is a key; `cache_key`, `primary_key` and `keyword` are not secrets
    flat = "".join(words)
    if any(marker in flat for marker in _FLAT_MARKERS) or any(w in _WORD_MARKERS for w in words):
        return True
    if flat.endswith(_END_MARKERS):
        return True
    for index, word in enumerate(words):
        for found in _TOKEN.finditer(word):
            before = "".join(words[:index]) + word[: found.start()]
            if _is_credential_token(before, word[found.end() :]):
                return True
    return False


def _carries_credential(words: list[str]) -> bool:
    if words and words[-1] in _CARRIER_WORDS:
        return True
    return len(words) > 1 and words[-2] in _CARRIER_WORDS and words[-1] in _CARRIED


def _is_credential_token(before: str, rest: str) -> bool:
    """Whether `token` with this text before it and this rest of its word names a credential."""
    if rest.startswith(("iz", "is")):
        return False  # tokenizer, tokenise
    if rest == "s":
        return before.endswith(_CREDENTIAL_WORDS)  # max_tokens is a count, auth_tokens are credentials
    return True


def is_secret_variable(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret: `*_KEY`, `*_TOKEN`, `*_SECRET`,
    `*PASSWORD*` (any case)."""
    return _SECRET_VARIABLE.fullmatch(name) is not None


def secret_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of the secret values (longest first), or None when there is none."""
    kept = sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
    return re.compile("|".join(re.escape(v) for v in kept)) if kept else None


def mask_values(value: Any, values: Iterable[str]) -> Any:
    """A copy of value (mappings, lists, text) with every occurrence of the secret values masked, in keys
    and in text; a number that a secret value became (`MY_TOKEN=987654321`) is masked too, other scalars
    are kept."""
    pattern = secret_pattern(values)
    if pattern is None:
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return pattern.sub(MASK, node)
        if isinstance(node, int | float) and not isinstance(node, bool):
            return MASK if pattern.fullmatch(str(node)) else node
        if isinstance(node, dict):
            return {walk(key): walk(item) for key, item in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(value)


def mask_error(error: Any, values: Iterable[str]) -> Any:
    """The error (a StackctlError) with the secret values masked in its message, details and hint."""
    pattern = secret_pattern(values)
    if pattern is None:
        return error
    error.message = pattern.sub(MASK, error.message)
    error.args = (error.message, *error.args[1:])
    error.details = [pattern.sub(MASK, line) for line in error.details]
    if error.hint:
        error.hint = pattern.sub(MASK, error.hint)
    return error


def redact(value: Any, extra_secret: Callable[[tuple[str | int, ...]], bool] | None = None) -> Any:
    """A copy of value with the literal text of every secret field replaced by the mask (see `mask_value`)."""

    def walk(node: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, dict):
            out: dict[Any, Any] = {}
            for key, item in node.items():
                child = (*path, key)
                secret = isinstance(key, str) and (
                    is_secret_name(key) or (extra_secret is not None and extra_secret(child))
                )
                out[key] = mask_value(item) if secret else walk(item, child)
            return out
        if isinstance(node, list):
            return [walk(item, (*path, i)) for i, item in enumerate(node)]
        if isinstance(node, str) and "@" in node:
            return mask_url_userinfo(node)
        return node

    return walk(value, ())


def mask_url_userinfo(text: str) -> str:
    """`https://user:pass@host` -> `https://user:****@host`, and a user part that reads as a token
    (`https://ghp_...@github.com` -> `https://****@github.com`); see `stackctl.userinfo` for how the userinfo
    is found. A `${env.*}` reference is kept, it names a variable; the literal text of its default goes
    (`${env.PW:=****}`), as in a secret field."""
    if "@" not in text:
        return text
    return replace_userinfo(text, _shown_user, _shown_password)


def has_literal_url_secret(text: str) -> bool:
    """Whether a URL in the text holds a literal secret: a password with no `${env.*}` reference in it, or a
    user part that reads as a token. What `register` refuses to store."""
    for info in find_userinfo(text):
        user, password = info.parts(text)
        if password and password not in (MASK, URL_MASK) and not _has_reference(password):
            return True
        if looks_like_token(user) and not _has_reference(user):
            return True
    return False


def _has_reference(text: str) -> bool:
    from stackctl.config.envsubst import Ref, SyntaxProblem, parse

    try:
        return "${" in text and any(isinstance(node, Ref) for node in parse(text))
    except SyntaxProblem:
        return False


def _shown_password(password: str) -> str:
    if password in ("", MASK, URL_MASK):
        return password
    return _shown_url_part(password, lambda text: URL_MASK if text and text not in (MASK, URL_MASK) else text)


def _shown_user(user: str) -> str:
    return _shown_url_part(user, lambda literal: URL_MASK if looks_like_token(literal) else literal)


def _shown_url_part(part: str, shown: Callable[[str], str]) -> str:
    """The part with each literal text (its references' defaults and alternatives included) as `shown`
    shows it; the part as written when nothing in it is masked."""
    from stackctl.config.envsubst import Ref, SyntaxProblem, parse

    masked = False

    def rebuild(nodes: tuple[Any, ...]) -> str:
        nonlocal masked
        out: list[str] = []
        for node in nodes:
            if not isinstance(node, Ref):
                out.append(shown(node))
                masked = masked or out[-1] != node
            elif node.op is None or node.op == "?":
                out.append(node.raw)  # a variable's name, or the message shown when it is unset
            else:
                out.append(f"${{env.{node.name}:{node.op}{rebuild(node.body)}}}")
        return "".join(out)

    try:
        text = rebuild(parse(part) if "${" in part else (part,))
    except SyntaxProblem:
        text = rebuild((part,))  # a malformed reference is literal text
    return text if masked else part


def mask_value(value: Any) -> Any:
    """A secret field's value as shown or stored: null stays null, references stay, literal text goes.

    An unexpanded reference names a variable, which is no secret and shows where one goes; but the
    default or alternative text inside it (`${env.KEY:=sk-...}`) is as literal as a bare value.
    """
    if value is None:
        return None
    if not isinstance(value, str) or "${" not in value:
        return MASK
    from stackctl.config.envsubst import SyntaxProblem, parse

    try:
        return _masked_text(parse(value))
    except SyntaxProblem:
        return MASK


def _masked_text(nodes: tuple[Any, ...]) -> str:
    from stackctl.config.envsubst import Ref

    parts: list[str] = []
    for node in nodes:
        if not isinstance(node, Ref):
            parts.append(MASK if node else "")
        elif node.op is None:
            parts.append(f"${{env.{node.name}}}")
        elif node.op == "?":
            parts.append(node.raw)  # the message shown when the variable is unset
        else:
            parts.append(f"${{env.{node.name}:{node.op}{_masked_text(node.body)}}}")
    return "".join(parts)


def unset_secret_error(label: str, field: str, variable: str) -> Any:
    """The call-time error for a secret field whose variable is not set: it names the variable."""
    from stackctl.errors import InvalidInputError

    return InvalidInputError(
        f"provider {label}: {field} comes from ${{env.{variable}}}, which is not set in this environment",
        hint=f"set {variable} in the environment or in a file given with --env-file FILE; "
        f"a provider that needs no key can say so in the run config: ${{env.{variable}:=none}}",
        code="missing_env_var",
    )
