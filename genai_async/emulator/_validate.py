"""Request validation with the service's error shapes (gemini-rest.md §3.1, §3.5, §13).

Unknown names are checked on the request as sent (so the message quotes the caller's spelling,
like ``Unknown name "temprature" at 'generation_config'``) for the top level, ``generationConfig``
and ``thinkingConfig``; both camelCase and snake_case spellings of known fields pass. Value checks
run on the camelized request and collect every problem into one ``* Field: reason`` message, the
way the service reports them.
"""

from __future__ import annotations

from typing import Any

from ._schema import enum_values
from ._wire import ApiError, camel, snake

REQUEST_FIELDS = frozenset(
    {
        "contents",
        "systemInstruction",
        "tools",
        "toolConfig",
        "safetySettings",
        "generationConfig",
        "cachedContent",
        "serviceTier",
        "store",
        "labels",
        "continuationToken",
        "model",
    }
)
GENERATION_CONFIG_FIELDS = frozenset(
    {
        "stopSequences",
        "responseMimeType",
        "responseSchema",
        "responseJsonSchema",
        "_responseJsonSchema",
        "responseModalities",
        "candidateCount",
        "maxOutputTokens",
        "temperature",
        "topP",
        "topK",
        "seed",
        "presencePenalty",
        "frequencyPenalty",
        "responseLogprobs",
        "logprobs",
        "enableEnhancedCivicAnswers",
        "speechConfig",
        "thinkingConfig",
        "imageConfig",
        "mediaResolution",
        "enableAffectiveDialog",
        "audioTranscriptionConfig",
        "responseFormat",
        "translationConfig",
    }
)
THINKING_CONFIG_FIELDS = frozenset({"includeThoughts", "thinkingBudget", "thinkingLevel"})
THINKING_LEVELS = frozenset({"THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH", "XHIGH"})
RESPONSE_MIME_TYPES = frozenset(
    {"text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum"}
)
ROLES = frozenset({"user", "model", "function"})


def _unknown(obj: Any, allowed: frozenset[str], where: str, out: list[tuple[str, str]]) -> None:
    if not isinstance(obj, dict):
        return
    for key in obj:
        if camel(key) not in allowed:
            at = f" at '{where}'" if where else ""
            out.append((where, f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.'))


def _get(obj: dict[str, Any], name: str) -> Any:
    """A field under either spelling, before camelization."""
    return obj.get(name, obj.get(snake(name)))


def check_unknown_fields(body: Any) -> None:
    """Raise the service's BadRequest 400 for names it does not know."""
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    problems: list[tuple[str, str]] = []
    _unknown(body, REQUEST_FIELDS, "", problems)
    config = _get(body, "generationConfig")
    _unknown(config, GENERATION_CONFIG_FIELDS, "generation_config", problems)
    if isinstance(config, dict):
        _unknown(_get(config, "thinkingConfig"), THINKING_CONFIG_FIELDS, "generation_config.thinking_config", problems)
    if problems:
        violations = [{"field": w, "description": m} if w else {"description": m} for w, m in problems]
        raise ApiError(
            400,
            "\n".join(m for _, m in problems),
            details=[{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations}],
        )


def _invalid(field: str, proto: str, value: Any) -> ApiError:
    """The service's wording for a value of the wrong JSON type."""
    shown = value if isinstance(value, str) else type(value).__name__
    return ApiError(
        400,
        f"Invalid value at '{field}' (type.googleapis.com/google.ai.generativelanguage.v1beta.{proto}), \"{shown}\"",
    )


def check_content(content: Any, field: str) -> None:
    if not isinstance(content, dict):
        raise _invalid(field, "Content", content)
    parts = content.get("parts")
    if parts is not None and not isinstance(parts, list):
        raise _invalid(f"{field}.parts", "Part", parts)
    for j, part in enumerate(parts or []):
        if not isinstance(part, dict):
            raise _invalid(f"{field}.parts[{j}]", "Part", part)


def check_content_list(contents: Any, field: str = "contents") -> list[dict[str, Any]]:
    """``contents`` if it is a list of Content objects (each with a list of Part objects), else a 400."""
    if contents is None:
        return []
    if not isinstance(contents, list):
        raise _invalid(field, "Content", contents)
    for i, content in enumerate(contents):
        check_content(content, f"{field}[{i}]")
    return contents


def _check_contents(contents: Any, where: str, problems: list[str]) -> None:
    if not contents:
        problems.append(f"* {where}.contents: contents is not specified")
        return
    for i, content in enumerate(check_content_list(contents)):
        if not content.get("parts"):
            problems.append(f"* {where}.contents[{i}].parts: contents.parts must not be empty.")
        elif content.get("role") and content["role"] not in ROLES:
            raise ApiError(400, "Please use a valid role: user, model.")


_INT_FIELDS = ("candidateCount", "maxOutputTokens", "topK", "seed", "logprobs")
_FLOAT_FIELDS = ("temperature", "topP", "presencePenalty", "frequencyPenalty")


def _number(value: Any, kind: type) -> Any:
    """``value`` as ``kind`` when proto3 JSON allows it (``"0.5"``, ``64.0``), else unchanged."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if kind is int:
        return int(number) if number.is_integer() else value
    return number


_NUMBER_KINDS: list[tuple[str, type[int] | type[float]]] = [(n, int) for n in _INT_FIELDS] + [
    (n, float) for n in _FLOAT_FIELDS
]


def _normalise_numbers(config: dict[str, Any]) -> None:
    """Numbers sent as strings or integral floats become the proto's type (the camelized copy only)."""
    for name, kind in _NUMBER_KINDS:
        if name in config:
            config[name] = _number(config[name], kind)
    thinking = config.get("thinkingConfig")
    if isinstance(thinking, dict) and "thinkingBudget" in thinking:
        thinking["thinkingBudget"] = _number(thinking["thinkingBudget"], int)


def _check_range(config: dict[str, Any], name: str, bounds: tuple[float, float], where: str, out: list[str]) -> None:
    value, (low, high) = config.get(name), bounds
    if value is None:
        return
    if isinstance(value, str):  # proto3 JSON numbers may arrive as strings
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        out.append(f"* {where}.generation_config.{snake(name)}: must be in the range [{low}, {high}]")


def thinking_level(config: dict[str, Any]) -> str | None:
    level = (config.get("thinkingConfig") or {}).get("thinkingLevel")
    return str(level).upper() if level is not None else None


def validate_generate(request: dict[str, Any], model: dict[str, Any], where: str = "GenerateContentRequest") -> None:
    """Value checks of a camelized GenerateContentRequest against ``model``."""
    problems: list[str] = []
    _check_contents(request.get("contents"), where, problems)
    if "systemInstruction" in request:
        check_content(request["systemInstruction"], "system_instruction")
    tools = request.get("tools") or []
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise _invalid("tools", "Tool", tools)
    config = request.get("generationConfig", {})
    if not isinstance(config, dict):
        raise _invalid("generation_config", "GenerationConfig", config)
    _normalise_numbers(config)
    _check_range(config, "temperature", (0.0, 2.0), where, problems)
    _check_range(config, "topP", (0.0, 1.0), where, problems)
    _check_range(config, "candidateCount", (1, 8), where, problems)
    _check_range(config, "maxOutputTokens", (0, int(model.get("outputTokenLimit", 65536))), where, problems)
    if len(config.get("stopSequences") or []) > 5:
        problems.append(f"* {where}.generation_config.stop_sequences: at most 5 stop sequences are allowed")
    _check_output_format(config, where, problems)
    if problems:
        raise ApiError(400, "\n".join(problems) + "\n")
    _check_thinking(config, model)


def _check_output_format(config: dict[str, Any], where: str, problems: list[str]) -> None:
    mime = config.get("responseMimeType", "text/plain")
    if mime not in RESPONSE_MIME_TYPES:
        problems.append(
            f"* {where}.generation_config.response_mime_type: allowed mimetypes are `text/plain`, "
            "`application/json`, `application/xml`, `application/yaml` and `text/x.enum`."
        )
    has_schema = "responseSchema" in config
    has_json_schema = "responseJsonSchema" in config or "_responseJsonSchema" in config
    if has_schema and has_json_schema:
        problems.append(f"* {where}.generation_config: response_schema and response_json_schema are exclusive")
    if (has_schema or has_json_schema) and mime not in ("application/json", "text/x.enum"):
        problems.append(
            f"* {where}.generation_config.response_mime_type: must be application/json or text/x.enum "
            "when a response schema is set"
        )
    if mime == "text/x.enum":
        schema = config.get("responseSchema") or config.get("responseJsonSchema") or {}
        if not isinstance(schema, dict) or not enum_values(schema):
            problems.append(f"* {where}.generation_config.response_schema: text/x.enum needs a schema with an enum")


def check_output_modalities(config: dict[str, Any], model: dict[str, Any]) -> None:
    """``responseModalities`` the model cannot produce (text-only models: anything but TEXT)."""
    if not config.get("responseModalities"):
        return  # nothing asked for beyond the default
    wanted = {str(m).upper() for m in config.get("responseModalities") or []} - {"MODALITY_UNSPECIFIED"}
    name = str(model.get("name", ""))
    can = {"TEXT"} | ({"IMAGE"} if "image" in name else set())
    can |= {"AUDIO"} if "tts" in name or "audio" in name else set()
    if wanted - can:
        shown = ", ".join(sorted(wanted))
        raise ApiError(
            400, f"The requested combination of response modalities ({shown}) is not supported by the model {name}."
        )


def _check_thinking(config: dict[str, Any], model: dict[str, Any]) -> None:
    thinking = config.get("thinkingConfig")
    if not thinking:
        return
    if "thinkingBudget" in thinking and "thinkingLevel" in thinking:
        raise ApiError(400, "You can only set only one of thinking budget and thinking level.")
    level = thinking_level(config)
    if level is not None and level not in THINKING_LEVELS:
        raise ApiError(
            400,
            "Invalid value at 'generation_config.thinking_config.thinking_level' "
            "(type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig.ThinkingLevel), "
            f'"{thinking["thinkingLevel"]}"',
        )
    budget = thinking.get("thinkingBudget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < -1):
        raise ApiError(400, "* GenerateContentRequest.generation_config.thinking_config.thinking_budget: invalid value")
    wants = thinking.get("includeThoughts") or level not in (None, "MINIMAL") or (budget not in (None, 0))
    if wants and not model.get("thinking"):
        raise ApiError(400, "Thinking is not supported for this model.")
