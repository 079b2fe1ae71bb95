"""The event schema for people and programs reading logs: pydantic models of every event.

Derived from the msgspec Structs of :mod:`sim.events` (the one source of truth, and the
fast path the engine writes with), so the two can never disagree. Use these to validate
a line you read, or to publish the JSON Schema of the log (`intelsim schema --events`).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from sim.events import EVENT_TYPES, Event, EvidenceLine, Marking, SetAside

_BASE_CONFIG = ConfigDict(extra="ignore", frozen=True)


class MarkingModel(BaseModel):
    """A security marking as it appears in a log line."""

    model_config = _BASE_CONFIG
    classification: str
    rel_to: list[str]


def _default(info: msgspec.structs.FieldInfo) -> Any:
    """What pydantic should take as the field's default (``...``: required)."""
    if info.required:
        return ...
    if info.default_factory is not msgspec.NODEFAULT:
        return Field(default_factory=info.default_factory)
    return info.default


def _struct_model(cls: type[msgspec.Struct]) -> type[BaseModel]:
    """A pydantic model of a nested msgspec Struct (an evidence line, a set-aside)."""
    fields: dict[str, Any] = {
        info.name: (_annotation(info.type), _default(info)) for info in msgspec.structs.fields(cls)
    }
    model: type[BaseModel] = create_model(
        f"{cls.__name__}Model",
        __config__=_BASE_CONFIG,
        __doc__=(cls.__doc__ or "").strip(),
        **fields,
    )
    return model


NESTED: dict[Any, type[BaseModel]] = {Marking: MarkingModel}


def _annotation(tp: Any) -> Any:
    if get_origin(tp) is list:
        return list[_annotation(get_args(tp)[0])]  # type: ignore[misc]
    return NESTED.get(tp, tp)


NESTED[EvidenceLine] = _struct_model(EvidenceLine)
NESTED[SetAside] = _struct_model(SetAside)


def _model_of(name: str, cls: type[Event]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "type": (Literal[name], Field(description="the event type")),
        "hash": (str, Field(description="SHA-256 chaining this line to the one before")),
    }
    for info in msgspec.structs.fields(cls):
        fields[info.name] = (_annotation(info.type), _default(info))
    model: type[BaseModel] = create_model(
        name, __config__=_BASE_CONFIG, __doc__=(cls.__doc__ or "").strip(), **fields
    )
    return model


EVENT_MODELS: dict[str, type[BaseModel]] = {
    name: _model_of(name, cls) for name, cls in EVENT_TYPES.items()
}

EventModel: Any = Annotated[
    Union[tuple(EVENT_MODELS.values())],  # noqa: UP007  (built from the closed vocabulary)
    Field(discriminator="type"),
]


@cache
def event_adapter() -> TypeAdapter[Any]:
    """One TypeAdapter for the whole closed union of events."""
    return TypeAdapter(EventModel)


def parse_line(line: bytes | str) -> BaseModel:
    """Validate one log line against the event schema (pydantic; raises ValidationError)."""
    model: BaseModel = event_adapter().validate_json(line)
    return model


def event_json_schema() -> dict[str, Any]:
    """JSON Schema of one line of `events.jsonl`."""
    schema = event_adapter().json_schema()
    schema["title"] = "intelsim event log line"
    schema["description"] = (
        "One line of events.jsonl: a domain event with its seq, t (hours since the "
        "scenario's start) and hash. See docs/event-log.md."
    )
    return schema
