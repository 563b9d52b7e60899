"""The request messages' fields, checked the way the service's proto JSON parser checks them (§13.4).

One walk over the body as sent finds, with the service's wording and its snake_case paths:
unknown names anywhere below a known message (``Unknown name "txt" at 'contents[0].parts[0]'``,
all of them in one 400 with ``BadRequest.fieldViolations``), then the first invalid enum value
(``Invalid value at 'safety_settings[0].category' (type.googleapis.com/...HarmCategory), "X"``)
or wrong-typed scalar (``Invalid value at 'generation_config.temperature' (TYPE_FLOAT), "hot"``).
Both spellings of a name pass (proto3 JSON); ``null`` means unset. Free-form values (schemas,
``args``, ``response``, maps) and tool configs we do not model are not looked into: a wrong name
there passes here, where the service would refuse it. Enum values are compared case-insensitively
and may be numbers (proto3 JSON), since whether the service is case-sensitive is not known (§15).
"""

from __future__ import annotations

import json
from typing import Any

from ._wire import ApiError, camel, snake

_PROTO = "type.googleapis.com/google.ai.generativelanguage.v1beta."
OPAQUE = "opaque"
# A field is a message name, a scalar TYPE_*, "enum:Name" or OPAQUE; a list of one means repeated.

ENUMS: dict[str, frozenset[str]] = {
    "HarmCategory": frozenset(
        "HARM_CATEGORY_UNSPECIFIED HARM_CATEGORY_HARASSMENT HARM_CATEGORY_HATE_SPEECH "
        "HARM_CATEGORY_SEXUALLY_EXPLICIT HARM_CATEGORY_DANGEROUS_CONTENT HARM_CATEGORY_CIVIC_INTEGRITY "
        "HARM_CATEGORY_DEROGATORY HARM_CATEGORY_TOXICITY HARM_CATEGORY_VIOLENCE HARM_CATEGORY_SEXUAL "
        "HARM_CATEGORY_MEDICAL HARM_CATEGORY_DANGEROUS".split()
    ),
    "SafetySetting.HarmBlockThreshold": frozenset(
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED BLOCK_LOW_AND_ABOVE BLOCK_MEDIUM_AND_ABOVE BLOCK_ONLY_HIGH "
        "BLOCK_NONE OFF".split()
    ),
    "FunctionCallingConfig.Mode": frozenset("MODE_UNSPECIFIED AUTO ANY NONE VALIDATED".split()),
    "GenerationConfig.Modality": frozenset("MODALITY_UNSPECIFIED TEXT IMAGE AUDIO VIDEO".split()),
    "GenerationConfig.MediaResolution": frozenset(
        "MEDIA_RESOLUTION_UNSPECIFIED MEDIA_RESOLUTION_LOW MEDIA_RESOLUTION_MEDIUM MEDIA_RESOLUTION_HIGH".split()
    ),
    "ExecutableCode.Language": frozenset({"LANGUAGE_UNSPECIFIED", "PYTHON"}),
    "CodeExecutionResult.Outcome": frozenset(
        "OUTCOME_UNSPECIFIED OUTCOME_OK OUTCOME_FAILED OUTCOME_DEADLINE_EXCEEDED".split()
    ),
    "FunctionDeclaration.Behavior": frozenset({"UNSPECIFIED", "BLOCKING", "NON_BLOCKING"}),
    "FunctionResponse.Scheduling": frozenset("SCHEDULING_UNSPECIFIED SILENT WHEN_IDLE INTERRUPT".split()),
}

_S, _F, _I, _B, _Y = "TYPE_STRING", "TYPE_FLOAT", "TYPE_INT32", "TYPE_BOOL", "TYPE_BYTES"
MESSAGES: dict[str, dict[str, str | list[str]]] = {
    "GenerateContentRequest": {
        "model": _S,
        "contents": ["Content"],
        "systemInstruction": "Content",
        "tools": ["Tool"],
        "toolConfig": "ToolConfig",
        "safetySettings": ["SafetySetting"],
        "generationConfig": "GenerationConfig",
        "cachedContent": _S,
        "serviceTier": _S,
        "store": _B,
        "labels": OPAQUE,
        "continuationToken": _Y,
    },
    "CountTokensRequest": {"model": _S, "contents": ["Content"], "generateContentRequest": "GenerateContentRequest"},
    "CachedContent": {
        "name": _S,
        "model": _S,
        "displayName": _S,
        "contents": ["Content"],
        "systemInstruction": "Content",
        "tools": ["Tool"],
        "toolConfig": "ToolConfig",
        "ttl": _S,
        "expireTime": _S,
    },
    "Content": {"role": _S, "parts": ["Part"]},
    "Part": {
        "text": _S,
        "inlineData": "Blob",
        "fileData": "FileData",
        "functionCall": "FunctionCall",
        "functionResponse": "FunctionResponse",
        "executableCode": "ExecutableCode",
        "codeExecutionResult": "CodeExecutionResult",
        "toolCall": OPAQUE,
        "toolResponse": OPAQUE,
        "thought": _B,
        "thoughtSignature": _Y,
        "videoMetadata": OPAQUE,
        "mediaResolution": OPAQUE,
        "partMetadata": OPAQUE,
    },
    "Blob": {"mimeType": _S, "data": _Y},
    "FileData": {"mimeType": _S, "fileUri": _S},
    "FunctionCall": {"id": _S, "name": _S, "args": OPAQUE},
    "FunctionResponse": {
        "id": _S,
        "name": _S,
        "response": OPAQUE,
        "parts": [OPAQUE],
        "willContinue": _B,
        "scheduling": "enum:FunctionResponse.Scheduling",
    },
    "ExecutableCode": {"language": "enum:ExecutableCode.Language", "code": _S, "id": _S},
    "CodeExecutionResult": {"outcome": "enum:CodeExecutionResult.Outcome", "output": _S, "id": _S},
    "Tool": {
        "functionDeclarations": ["FunctionDeclaration"],
        "googleSearch": OPAQUE,
        "googleSearchRetrieval": OPAQUE,
        "codeExecution": "CodeExecution",
        "urlContext": "UrlContext",
        "fileSearch": OPAQUE,
        "googleMaps": OPAQUE,
        "computerUse": OPAQUE,
        "mcpServers": OPAQUE,
    },
    "CodeExecution": {},
    "UrlContext": {},
    "FunctionDeclaration": {
        "name": _S,
        "description": _S,
        "parameters": OPAQUE,
        "parametersJsonSchema": OPAQUE,
        "response": OPAQUE,
        "responseJsonSchema": OPAQUE,
        "behavior": "enum:FunctionDeclaration.Behavior",
    },
    "ToolConfig": {
        "functionCallingConfig": "FunctionCallingConfig",
        "retrievalConfig": OPAQUE,
        "includeServerSideToolInvocations": _B,
    },
    "FunctionCallingConfig": {"mode": "enum:FunctionCallingConfig.Mode", "allowedFunctionNames": [_S]},
    "SafetySetting": {"category": "enum:HarmCategory", "threshold": "enum:SafetySetting.HarmBlockThreshold"},
    "GenerationConfig": {
        "stopSequences": [_S],
        "responseMimeType": _S,
        "responseSchema": OPAQUE,
        "responseJsonSchema": OPAQUE,
        "_responseJsonSchema": OPAQUE,
        "responseModalities": ["enum:GenerationConfig.Modality"],
        "candidateCount": _I,
        "maxOutputTokens": _I,
        "temperature": _F,
        "topP": _F,
        "topK": _I,
        "seed": _I,
        "presencePenalty": _F,
        "frequencyPenalty": _F,
        "responseLogprobs": _B,
        "logprobs": _I,
        "enableEnhancedCivicAnswers": _B,
        "speechConfig": OPAQUE,
        "thinkingConfig": "ThinkingConfig",
        "imageConfig": OPAQUE,
        "mediaResolution": "enum:GenerationConfig.MediaResolution",
        "enableAffectiveDialog": _B,
        "audioTranscriptionConfig": OPAQUE,
        "responseFormat": OPAQUE,
        "translationConfig": OPAQUE,
    },
    # thinkingLevel's values are checked with the other thinking rules (_validate._check_thinking).
    "ThinkingConfig": {"includeThoughts": _B, "thinkingBudget": _I, "thinkingLevel": OPAQUE},
}


# Each field's snake_case spelling in error paths, worked out once (one walk builds every path).
_PATH_NAMES = {field: snake(field) for fields in MESSAGES.values() for field in fields}


def _scalar_ok(kind: str, value: Any) -> bool:
    if kind in (_S, _Y):
        return isinstance(value, str)
    if kind == _B:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == _F:
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                return False
            return True
        return isinstance(value, (int, float))
    if isinstance(value, str):  # int32 as a JSON string, as proto3 JSON allows
        return value.strip().lstrip("-").isdigit()
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else json.dumps(value)


class _Walk:
    def __init__(self) -> None:
        self.unknown: list[tuple[str, str]] = []
        self.invalid: ApiError | None = None

    def message(self, obj: Any, name: str, path: str) -> None:
        if not isinstance(obj, dict):
            if self.invalid is None:
                self.invalid = ApiError(400, f"Invalid value at '{path}' ({_PROTO}{name}), {_shown(obj)}")
            return
        fields = MESSAGES[name]
        for key, value in obj.items():
            field_name = key if "_" not in key else camel(key)
            spec = fields.get(field_name)
            if spec is None:
                at = f" at '{path}'" if path else ""
                message = f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.'
                self.unknown.append((path, message))
            elif value is not None:
                shown = _PATH_NAMES[field_name]
                self.field(value, spec, f"{path}.{shown}" if path else shown)

    def field(self, value: Any, spec: str | list[str], path: str) -> None:
        if isinstance(spec, list):
            if not isinstance(value, list):
                kind = spec[0] if spec[0].startswith("TYPE_") else _PROTO + spec[0].removeprefix("enum:")
                if self.invalid is None:
                    self.invalid = ApiError(400, f"Invalid value at '{path}' ({kind}), {_shown(value)}")
                return
            for i, item in enumerate(value):
                if item is not None:
                    self.field(item, spec[0], f"{path}[{i}]")
        elif spec in MESSAGES:
            self.message(value, spec, path)
        elif spec.startswith("enum:"):
            self.enum(value, spec[5:], path)
        elif spec != OPAQUE and not _scalar_ok(spec, value) and self.invalid is None:
            self.invalid = ApiError(400, f"Invalid value at '{path}' ({spec}), {_shown(value)}")

    def enum(self, value: Any, name: str, path: str) -> None:
        values = ENUMS[name]
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(values)
        ok = ok or (isinstance(value, str) and value.upper() in values)
        if not ok and self.invalid is None:
            self.invalid = ApiError(400, f"Invalid value at '{path}' ({_PROTO}{name}), {_shown(value)}")


def check_message(body: Any, name: str = "GenerateContentRequest", path: str = "") -> None:
    """Raise the service's 400 for unknown names, then for the first invalid value, in ``body``."""
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    walk = _Walk()
    walk.message(body, name, path)
    if walk.unknown:
        violations = [{"field": w, "description": m} if w else {"description": m} for w, m in walk.unknown]
        raise ApiError(
            400,
            "\n".join(m for _, m in walk.unknown),
            details=[{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations}],
        )
    if walk.invalid is not None:
        raise walk.invalid
