"""Import a Segment workspace's SFMC (Actions) destinations into our config, from Public API exports.

    result = import_segment([(Path("dest.json"), Path("subs.json"))], sources=Path("sources.json"))
    result.text        # the config YAML; the same exports always give the same bytes
    result.env_vars    # the ${ENV_VAR} placeholders it holds (client secrets, write keys), to set before serve
    result.skipped     # what was not converted, each with the reason
    result.notes       # what else to know (disabled destination, renamed duplicates, a partial page)

Raises `SegmentExportError` (file + JSON path) for a file that is not the answer it should be; then nothing
is returned, so nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sfmc_actions.errors import SegmentExportError
from sfmc_actions.segment_import.convert import EnvVar, Skipped, convert
from sfmc_actions.segment_import.exports import (
    DestinationAnswer,
    Source,
    SourcesAnswer,
    SubscriptionsAnswer,
    read_answer,
)
from sfmc_actions.segment_import.yaml_text import config_text

__all__ = ["EnvVar", "ImportResult", "SegmentExportError", "Skipped", "import_segment"]


@dataclass(frozen=True)
class ImportResult:
    text: str
    env_vars: list[EnvVar]
    skipped: list[Skipped]
    notes: list[str]
    destinations: int
    subscriptions: int
    sources: int


def import_segment(pairs: list[tuple[Path, Path]], sources: Path | None = None) -> ImportResult:
    """Read each (GET /destinations/{id}, GET /destinations/{id}/subscriptions) pair and GET /sources."""
    destinations = []
    for destination_file, subscriptions_file in pairs:
        destination = read_answer(destination_file, DestinationAnswer, "/destinations/{destinationId}").data.destination
        answer = read_answer(subscriptions_file, SubscriptionsAnswer, "/destinations/{destinationId}/subscriptions")
        _check_pair(destination.id, destination_file, subscriptions_file, answer)
        destinations.append((destination, answer))
    source_list: list[Source] | None = None
    if sources is not None:
        source_list = read_answer(sources, SourcesAnswer, "/sources").data.sources
    conversion = convert(destinations, source_list)
    return ImportResult(
        config_text(conversion.document),
        conversion.env_vars,
        conversion.skipped,
        conversion.notes,
        len(destinations),
        conversion.subscriptions,
        len(conversion.document.get("sources", [])),
    )


def _check_pair(
    destination_id: str, destination_file: Path, subscriptions_file: Path, answer: SubscriptionsAnswer
) -> None:
    """Destination and subscription files go in pairs, in order: a subscription of another destination means
    the pairs were mixed up, which would put subscriptions under the wrong SFMC credentials."""
    for index, sub in enumerate(answer.data.subscriptions):
        if sub.destinationId is not None and sub.destinationId != destination_id:
            raise SegmentExportError(
                str(subscriptions_file),
                [
                    (
                        f"$.data.subscriptions[{index}].destinationId",
                        f"'{sub.destinationId}' is not the destination in {destination_file} ('{destination_id}')",
                    )
                ],
                "give --destination and --subscriptions in pairs, in the same order (each subscriptions file "
                "right after its destination's file)",
            )
