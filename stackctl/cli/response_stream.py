"""A streamed response printed as it arrives: `stackctl responses create --stream`.

With `-o json` each event is one JSON line, with `-o yaml` one YAML document; as a table only the text deltas
are printed (stdout), then the response's id and status (stderr). The terminal spinner waits with the events
that precede the provider's first token. Imported only when a command streams.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from stackctl.cli.output import Format

# Events a stream sends before the provider has answered: the spinner goes on after them.
BEFORE_FIRST_TOKEN = frozenset({"response.created", "response.in_progress"})


def _prints(event: dict[str, Any], output: Format) -> bool:
    """Whether `_print_event` writes anything for this event."""
    return not output.is_table or event["type"] in (
        "response.output_text.delta",
        "response.completed",
        "response.incomplete",
    )


def print_stream(events: Iterator[dict[str, Any]], output: Format, spinner: Any = None) -> None:
    """Print each event as it comes (pausing the `spinner` while printing, and stopping it for good at
    the first event from the provider). A reader that goes away (`| head`) does not cancel the turn: the
    rest of the stream is read unprinted, so the response is stored (and the conversation appended) as
    without the pipe, and only then does the closed pipe end the command."""
    from stackctl.cli.output import ReaderGone

    try:
        for event in events:
            pre_token = spinner is not None and event["type"] in BEFORE_FIRST_TOKEN
            if spinner is not None and (_prints(event, output) or not pre_token):
                spinner.stop()
            _print_event(event, output)
            if pre_token:
                spinner.start()
            else:
                spinner = None
    except ReaderGone:
        for _ in events:
            pass
        raise


def _print_event(event: dict[str, Any], output: Format) -> None:
    import json

    from stackctl.cli.output import write_out

    if output is Format.json:
        write_out(json.dumps(event, ensure_ascii=False) + "\n")
    elif output is Format.yaml:
        from stackctl.config.yamlio import dump_yaml

        write_out("---\n" + dump_yaml(event))
    elif event["type"] == "response.output_text.delta":
        from stackctl.cli.output import emit_stream_text

        emit_stream_text(event["delta"])
    elif event["type"] in ("response.completed", "response.incomplete"):
        write_out("\n")
        sys.stderr.write(f"{event['response']['id']} {event['response']['status']}\n")
