"""Run the differential fuzz: generate cases, ask Segment's code (the Node driver) and ours, compare.

Compared: error or not (a trigger that does not parse, a mapping that fails) and, when both give a value,
the value as JavaScript prints it (`JSON.stringify`; our value goes through JSON.parse + JSON.stringify in
Node, so key order, `-0`, big integers and lone surrogates are judged the JavaScript way).

Documented differences are counted apart, not as mismatches (see the README's list): a trigger whose
evaluation throws in Segment matches nothing here (we check that it does not match). Prototype names are
never generated (see `generate.PROTOTYPE_NAMES`).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sfmc_actions.errors import FqlSyntaxError, MappingError
from sfmc_actions.route.fql import compile_trigger
from sfmc_actions.route.mapping import UNDEFINED, compile_mapping
from tests.conformance.fuzz.generate import Generator
from tests.conformance.fuzz.oracle import Oracle, js_json

BLOCK = 500  # cases per round trip to the driver


@dataclass
class Summary:
    seed: int
    triggers: int = 0
    mappings: int = 0
    mismatches: Counter[str] = field(default_factory=Counter)
    documented: Counter[str] = field(default_factory=Counter)
    agreed: Counter[str] = field(default_factory=Counter)  # cases both sides answered alike, by kind
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def mismatch_count(self) -> int:
        return sum(self.mismatches.values())

    def record(self, kind: str, example: dict[str, Any]) -> None:
        self.mismatches[kind] += 1
        known = self.examples.get(kind)
        size = len(js_json(example))
        if known is None or size < known["_size"]:
            self.examples[kind] = {"_size": size, **example}

    def as_json(self, examples: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seed": self.seed,
            "triggers": self.triggers,
            "mappings": self.mappings,
            "mismatches": self.mismatch_count,
            "mismatches_by_class": dict(sorted(self.mismatches.items())),
            "documented_by_class": dict(sorted(self.documented.items())),
            "agreed_by_kind": dict(sorted(self.agreed.items())),
            "seconds": round(self.seconds, 1),
        }
        if examples:
            out["examples"] = {
                k: {n: v for n, v in e.items() if n != "_size"} for k, e in sorted(self.examples.items())
            }
        return out


def _ours_trigger(fql: str, event: Any) -> tuple[str, Any]:
    try:
        return "value", compile_trigger(fql).matches(event)
    except FqlSyntaxError as e:
        return "error", str(e)
    except Exception as e:  # anything but FqlSyntaxError is a crash
        return "crash", f"{type(e).__name__}: {e}"


def _ours_mapping(mapping: Any, event: Any) -> tuple[str, Any]:
    try:
        return "value", compile_mapping(mapping).resolve(event)
    except MappingError as e:
        return "error", str(e)
    except Exception as e:
        return "crash", f"{type(e).__name__}: {e}"


def _mapping_area(mapping: Any) -> str:
    text = js_json(mapping)
    return "liquid" if '"@liquid"' in text else "mapping"


def check_triggers(oracle: Oracle, gen: Generator, count: int, summary: Summary) -> None:
    for start in range(0, count, BLOCK):
        cases = [{"fql": gen.trigger(), "event": gen.event()} for _ in range(min(BLOCK, count - start))]
        answers = oracle.ask(cases)
        for case, answer in zip(cases, answers, strict=True):
            summary.triggers += 1
            kind, ours = _ours_trigger(case["fql"], case["event"])
            example = {**case, "segment": answer, "ours": ours}
            if kind == "crash":
                summary.record("trigger: crash", example)
            elif "parse_error" in answer:
                if kind != "error":
                    summary.record("trigger: parses here, not in Segment", example)
            elif kind == "error":
                summary.record("trigger: parses in Segment, not here", example)
            elif "throws" in answer:
                summary.documented["trigger: throws in Segment, matches nothing here"] += 1
                if ours is not False:
                    summary.record("trigger: throws in Segment, matches here", example)
            elif answer.get("matches") is not ours:
                summary.record("trigger: match differs", example)
            else:
                summary.agreed[f"trigger: {'matches' if ours else 'no match'}"] += 1
                continue
            if "parse_error" in answer and kind == "error":
                summary.agreed["trigger: parse error"] += 1


def check_mappings(oracle: Oracle, gen: Generator, count: int, summary: Summary) -> None:
    for start in range(0, count, BLOCK):
        cases = [{"mapping": gen.mapping(), "event": gen.event()} for _ in range(min(BLOCK, count - start))]
        answers = oracle.ask(cases)
        ours_all = [_ours_mapping(c["mapping"], c["event"]) for c in cases]
        # Our values that are not already JSON.stringify's text go through Node once, all in one block.
        pending = []
        for index, (answer, (kind, ours)) in enumerate(zip(answers, ours_all, strict=True)):
            if kind == "value" and ours is not UNDEFINED and "json" in answer and js_json(ours) != answer["json"]:
                pending.append(index)
        round_trips = oracle.ask([{"roundtrip": ours_all[i][1]} for i in pending]) if pending else []
        printed = {i: a["json"] for i, a in zip(pending, round_trips, strict=True)}
        for index, (case, answer, (kind, ours)) in enumerate(zip(cases, answers, ours_all, strict=True)):
            summary.mappings += 1
            area = _mapping_area(case["mapping"])
            example = {
                **case,
                "segment": answer,
                "ours": ours if kind != "value" or ours is not UNDEFINED else "<undefined>",
            }
            if kind == "crash":
                summary.record(f"{area}: crash", example)
            elif "error" in answer:
                if kind != "error":
                    summary.record(f"{area}: value here, error in Segment", example)
                else:
                    summary.agreed[f"{area}: error"] += 1
            elif kind == "error":
                summary.record(f"{area}: error here, value in Segment", example)
            elif "undefined" in answer or ours is UNDEFINED:
                if not ("undefined" in answer and ours is UNDEFINED):
                    summary.record(f"{area}: undefined on one side", example)
            else:
                text = printed.get(index, js_json(ours))
                if text != answer["json"]:
                    example["ours_printed"] = text
                    summary.record(f"{area}: value differs", example)
                else:
                    summary.agreed[f"{area}: value"] += 1


def run(seed: int, triggers: int, mappings: int) -> Summary:
    """Generate and compare `triggers` trigger cases and `mappings` mapping cases from `seed`."""
    summary = Summary(seed=seed)
    started = time.perf_counter()
    with Oracle() as oracle:
        check_triggers(oracle, Generator(seed), triggers, summary)
        check_mappings(oracle, Generator(seed + 1), mappings, summary)
    summary.seconds = time.perf_counter() - started
    return summary
