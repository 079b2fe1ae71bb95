"""The JSON Schema of the scenario language, for editors (yaml-language-server) and docs."""

from __future__ import annotations

import copy
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from sim.scenario.distributions import bare_duration_as_fixed
from sim.scenario.models import Scenario, one_or_many
from sim.scenario.units import (
    DURATION_HELP,
    DURATION_PATTERN,
    RATE_HELP,
    RATE_PATTERN,
    parse_duration,
    parse_rate,
)

SCHEMA_ID = "https://intelsim.invalid/schemas/scenario.schema.json"


class _FileSchema(GenerateJsonSchema):
    """Describes values as written in files: "6h" for hours, "3/d" for rates."""

    def function_before_schema(
        self, schema: core_schema.BeforeValidatorFunctionSchema
    ) -> JsonSchemaValue:
        inner = super().function_before_schema(schema)
        function = schema["function"]["function"]
        if function is parse_duration:
            text = {"type": "string", "pattern": DURATION_PATTERN}
            return {"anyOf": [inner, text], "description": DURATION_HELP}
        if function is parse_rate:
            text = {"type": "string", "pattern": RATE_PATTERN}
            return {"anyOf": [inner, text], "description": RATE_HELP}
        if function is one_or_many:
            return {"anyOf": [{"type": "string"}, inner]}
        if function is bare_duration_as_fixed:
            bare = {"type": ["string", "number"], "description": "a fixed duration"}
            return {"anyOf": [bare, inner]}
        return inner


def _partial(node: Any, defs: dict[str, Any]) -> Any:
    """A copy of a schema with nothing required, its references to partial definitions."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "required":
                continue
            if key == "$ref" and isinstance(value, str) and value.rsplit("/", 1)[-1] in defs:
                out[key] = f"#/$defs/Partial{value.rsplit('/', 1)[-1]}"
            elif key == "mapping" and isinstance(value, dict):  # a discriminator's targets
                out[key] = {tag: _partial({"$ref": r}, defs)["$ref"] for tag, r in value.items()}
            else:
                out[key] = _partial(value, defs)
        return out
    if isinstance(node, list):
        return [_partial(item, defs) for item in node]
    return node


def _links_either_form(defs: dict[str, Any]) -> None:
    """`links` may be a list of {from, to, …} or a mapping {"FROM->TO": {…}}."""
    entry = copy.deepcopy(defs["Link"])
    entry["required"] = [r for r in entry.get("required", []) if r not in ("from", "to")]
    entry["description"] = "a link written under its FROM->TO name; from and to may be left out"
    defs["LinkEntry"] = entry
    properties = defs["Scenario"]["properties"]
    properties["links"] = {
        "description": 'directed links: a list of {from, to, …} or a mapping {"FROM->TO": {…}}',
        "anyOf": [
            properties["links"],
            {
                "type": "object",
                "propertyNames": {"pattern": "^.+->.+$"},
                "additionalProperties": {"$ref": "#/$defs/LinkEntry"},
            },
        ],
    }


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (draft 2020-12).

    A file with `extends` is checked against a copy in which nothing is required,
    since it only writes what it changes.
    """
    generated = Scenario.model_json_schema(by_alias=True, schema_generator=_FileSchema)
    defs: dict[str, Any] = generated.pop("$defs", {})
    defs["Scenario"] = generated
    _links_either_form(defs)
    defs.update({f"Partial{name}": _partial(value, defs) for name, value in list(defs.items())})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "intelsim scenario",
        "description": (
            "A scenario of the NATO–ROK intelligence-sharing simulation (see DESIGN.md). "
            "Durations are written like 6h or 2.5d, rates like 3/d. A file with `extends` "
            "only needs the fields it changes."
        ),
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/PartialScenario"},
        "else": {"$ref": "#/$defs/Scenario"},
        "$defs": dict(sorted(defs.items())),
    }
