"""Request-side checks against one model row: ``model_parameters``, aspect ratio, output size.

Pure (stdlib only). ``model_parameters`` fail closed: an unknown key, a wrong type or value,
a fixed control set to something else, a cataloged-but-not-executable parameter or a
provider-native field is refused, and every offending key is listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from image_skill.local.registry.data import Row
from image_skill.local.registry.errors import (
    INVALID_ARGUMENTS,
    MODEL_PARAMETERS_INVALID,
    RegistryError,
)

#: Provider-native fields that never pass through ``model_parameters``.
FORBIDDEN_FIELDS = frozenset(
    {
        "n",
        "mask_url",
        "image_url",
        "image_urls",
        "elements",
        "frontal_image_url",
        "reference_image_urls",
        "first_image_url",
        "second_image_url",
        "images",
    }
)
_FORBIDDEN_HINT = (
    "pass masks as mask_asset_id (--mask), reference images as references[] "
    "(--reference-image, --element-frontal, --element-reference) and the number of outputs "
    "as output_count (--output-count)"
)

# ---------------------------------------------------------------- model_parameters


@dataclass(frozen=True)
class ParamsCheck:
    """Accepted ``model_parameters`` (defaults applied) and their provenance."""

    accepted: dict[str, Any]
    keys: list[str]
    defaults_applied: list[str] = field(default_factory=list)
    source: str = "request"

    def receipt(self) -> dict[str, Any]:
        """The ``request.selection.model_parameters`` block of a receipt."""
        return {
            "keys": list(self.keys),
            "defaults_applied": list(self.defaults_applied),
            "source": self.source,
        }


def _type_ok(expected: str, value: Any) -> bool:
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    return True


def _problem(key: str, spec: dict[str, Any] | None, value: Any, row: Row) -> tuple[str, str] | None:
    """``(reason, message)`` for a rejected key, or ``None`` when it is fine."""
    properties = row["parameters"]["properties"]
    fixed = row["parameters"].get("fixed") or {}
    forbidden = key in FORBIDDEN_FIELDS and key not in properties
    if forbidden or key.endswith("reference_task"):
        return "forbidden_provider_field", f"{key!r} is a provider-native field; {_FORBIDDEN_HINT}"
    if key in fixed:
        if value == fixed[key]:
            return None
        return "fixed_control", f"{key!r} is fixed to {fixed[key]!r} for this model"
    if spec is None:
        return "unknown_parameter", f"{key!r} is not a parameter of this model"
    if spec.get("executable") is not True:
        return "not_executable", f"{key!r} is cataloged for inspection but not executable"
    if not _type_ok(spec["type"], value):
        return "wrong_type", f"{key!r} must be of type {spec['type']}"
    if "enum" in spec and value not in spec["enum"]:
        allowed = ", ".join(str(item) for item in spec["enum"])
        return "not_in_enum", f"{key!r} must be one of: {allowed}"
    if "minimum" in spec and value < spec["minimum"]:
        return "below_minimum", f"{key!r} must be at least {spec['minimum']}"
    if "maximum" in spec and value > spec["maximum"]:
        return "above_maximum", f"{key!r} must be at most {spec['maximum']}"
    return None


def validate_model_parameters(
    row: Row, params: dict[str, Any] | None, *, source: str | None = None
) -> ParamsCheck:
    """Validate ``params`` against ``row``'s schema, fail closed, and apply defaults.

    Raises ``RegistryError("MODEL_PARAMETERS_INVALID")`` listing every offending key.
    ``source`` overrides the provenance label (e.g. ``"default_policy"`` when the model was
    chosen by the default selection policy).
    """
    model_id = row.get("id")
    show = {"suggested_command": f"image-skill models show {model_id} --json"}
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RegistryError(
            MODEL_PARAMETERS_INVALID,
            "model_parameters must be a JSON object.",
            details={"model_id": model_id, "offending_keys": []},
            recovery=show,
        )
    properties: dict[str, dict[str, Any]] = row["parameters"]["properties"]
    problems = []
    for key, value in params.items():
        found = _problem(str(key), properties.get(str(key)), value, row)
        if found is not None:
            problems.append({"key": str(key), "reason": found[0], "message": found[1]})
    if problems:
        offending = [item["key"] for item in problems]
        reasons = "; ".join(item["message"] for item in problems)
        raise RegistryError(
            MODEL_PARAMETERS_INVALID,
            f"model_parameters rejected for {model_id} ({', '.join(offending)}): {reasons}.",
            details={"model_id": model_id, "offending_keys": offending, "problems": problems},
            recovery=show,
        )
    accepted = dict(params)
    defaults_applied = []
    for name, spec in properties.items():
        if name not in accepted and spec.get("executable") is True and "default" in spec:
            accepted[name] = spec["default"]
            defaults_applied.append(f"{name}={spec['default']}")
    if source is None:
        if not params:
            source = "model_defaults"
        else:
            source = "request_and_model_defaults" if defaults_applied else "request"
    return ParamsCheck(accepted, list(accepted), defaults_applied, source)


# ---------------------------------------------------------------- media helpers

_LONG_EDGE = {"0.5K": 512, "1k": 1024, "1K": 1024, "2k": 2048, "2K": 2048, "4K": 4096}


def validate_aspect_ratio(row: Row, aspect_ratio: str | None) -> str | None:
    """The aspect ratio to use, or ``None`` for models without one (audio, 3D).

    Models without advertised ratios ignore whatever the client sent (the 0.1.30 client
    always sends one). Others must get an advertised value; ``None`` means the default.
    """
    ratios = row["media"]["input"]["aspect_ratios"]
    values: list[str] = ratios["values"]
    if not values:
        return None
    if aspect_ratio is None:
        return str(ratios["default"])
    if aspect_ratio not in values:
        raise RegistryError(
            INVALID_ARGUMENTS,
            f"aspect_ratio {aspect_ratio!r} is not supported by {row['id']}; "
            f"use one of: {', '.join(values)}.",
            details={"aspect_ratio": aspect_ratio, "allowed": list(values)},
            recovery={"suggested_command": f"image-skill models show {row['id']} --json"},
        )
    return aspect_ratio


def expected_output(row: Row, params: dict[str, Any], aspect_ratio: str | None) -> dict[str, Any]:
    """``request.selection.output``: size class and expected pixel size of each output.

    Width/height are ``None`` when they depend on the input (``auto``) or do not apply.
    """
    out: dict[str, Any] = {
        "resolution_class": None,
        "expected_width": None,
        "expected_height": None,
        "expected_min_short_edge": None,
    }
    if row["modality"] not in ("image", "video"):
        return out
    resolution = params.get("resolution")
    if row["modality"] == "video":
        long_edge, out["resolution_class"] = 640, "640p"
    else:
        cls = resolution if isinstance(resolution, str) and resolution in _LONG_EDGE else "1k"
        long_edge, out["resolution_class"] = _LONG_EDGE[cls], cls
    if aspect_ratio is None or ":" not in aspect_ratio:
        return out
    a, b = (int(part) for part in aspect_ratio.split(":", 1))
    short = int(round(long_edge * min(a, b) / max(a, b) / 8)) * 8
    width, height = (long_edge, short) if a >= b else (short, long_edge)
    out.update(expected_width=width, expected_height=height, expected_min_short_edge=short)
    return out
