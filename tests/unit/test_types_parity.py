"""Walk the official SDK's public ``types`` (google-genai, installed by the dev extra) and list what
``genai_async.types`` lacks. Everything left out is in an explicit, commented allow-list below, so a
new official type or field fails this test until someone decides about it."""

from __future__ import annotations

import enum
import re

import msgspec
import pytest

from genai_async import types as ours

genai_types = pytest.importorskip("google.genai.types")
pydantic = pytest.importorskip("pydantic")

# Whole areas we leave out on purpose, as patterns over class names.
LEFT_OUT = {
    # Vertex AI only: tuning, evaluation, RAG engine, Vertex search, Model Armor, routing, encryption
    r"Tun(ing|ed)|Distillation|PreferenceOptimization|ReinforcementTuning|SupervisedTuning|Veo(Hyper|Lora|Tuning)"
    r"|FullFineTuning|PartnerModelTuning|PreTunedModel|AdapterSize|Checkpoint|DatasetDistribution|DatasetStats": "Vertex tuning",
    r"Metric|Bleu|Rouge|Autorater|Evaluat|Pairwise|Pointwise|Rubric|ExactMatch|AggregationOutput|AggregationResult"
    r"|CustomCodeExecution|LLMBased|ComputationBased|UnifiedMetric|ValidateReward|CustomOutput|RawOutput|OutputConfig"
    r"|OutputInfo|GeminiPreferenceExample": "Vertex evaluation",
    r"^Rag|VertexRag|VertexAISearch|Retrieval$|EnterpriseWebSearch|ExternalApi|ApiAuth|ApiSpec|AuthConfig|ApiKeyConfig"
    r"|AuthType|HttpElementLocation|ToolExaAiSearch|ToolParallelAiSearch|WebSearch$|ImageSearch|SearchTypes"
    r"|VertexMultimodal|EncryptionSpec|ModelArmor|ModelSelectionConfig|RoutingConfig|FeatureSelectionPreference"
    r"|PhishBlockThreshold|HarmBlockMethod|HarmSeverity|SafetyPolicy|TrafficType|ProjectOperation|ResourceScope"
    r"|FetchPredictOperation|Endpoint$|GoogleMaps(GroundingTypes|Places|Routing)|GroundingChunkMaps(Route|PlaceAnswer)"
    r"|GroundingChunkImage|GroundingMetadataSourceFlagging|MediaProcessing|DocumentMetadata|SpreadsheetMetadata"
    r"|VideoMetadataContentLayer|SpeechMetadata|AudioMetadata|Transcription$|WordInfo|PartialArg|StreamableHttpTransport"
    r"|McpServer|GenerationOutputConfig|ResponseFormat|TranslationConfig|WhiteSpaceConfig|LanguageAuto|LanguageHints"
    r"|ReplicatedVoiceConfig|VoiceConsentSignature|ProminentPeople|PersonGeneration|ImageConfigImageOutputOptions"
    r"|EntityLabel|CustomMetadata$|StringList$|WebhookConfig|Delivery$|InteractionStatus": "Vertex / preview-only fields",
    # Imagen, Veo, music and image editing: not generateContent; out of this client's scope
    r"Image(?!Config$)|Video(?!Metadata$)|Mask|Reference|Upscale|Recontext|Segment(Image|Mode)|Scribble|ProductImage"
    r"|EditImage|AspectRatio|SafetyFilterLevel|SafetyAttributes|EditMode|Music|WeightedPrompt|Scale$|CustomizedAvatar|AvatarConfig"
    r"|GenerateVideos|GeneratedVideo|VideoCompression|VideoOrientation|VideoGeneration|ImagePromptLanguage": "media generation",
    # Live API (issue 21 builds client.live with its own types)
    r"^Live|Activity|Realtime|Vad|VoiceActivity|Sensitivity|SessionResumption|SlidingWindow|ContextWindowCompression"
    r"|ProactivityConfig|AutomaticActivityDetection|TurnCoverage|TurnCompleteReason|AudioChunk|AudioResponseFormat"
    r"|AuthToken|CreateAuthToken|HistoryConfig|FunctionResponseScheduling|Behavior$|MediaModality": "Live API",
    # Batches, File Search stores, documents, operations: other resources (issue 20 adds batches)
    r"Batch|Inlined|SingleEmbedContentResponse|JobError|JobState|GcsSource|GcsDestination|BigQuerySource|FileSearchStore"
    r"|Document|ImportFile|UploadToFileSearch|RegisterFiles|CreateFile|DownloadFile|DownloadMediaConfig|Operation"
    r"|DeleteResourceJob|ChunkingConfig|GoogleRpcStatus|CompletionStats|EmbeddingsBatchJobSource": "other resources",
    # Request/parameter wrappers and per-method configs of the official SDK's internals; we take kwargs
    r"Parameters$|^(Get|Delete|Cancel|Update|List)\w*Config$|Delete\w*Response$|ComputeTokens|TokensInfo"
    r"|CountTokensResult|EmbedContentBatch|EmbeddingApiType|ClaudeFile|GenerationConfigThinkingConfig|HttpResponse$"
    r"|JSONSchema|DynamicRetrievalConfigMode|AudioTranscriptionConfigMode|ResponseParseType|MatchOperation": "SDK internals",
    # test-harness types the official SDK ships in its wheel (we keep tests in tests/)
    r"^Replay|^TestTable": "test harness",
}

# Names an official user may meet that we have not added yet (kept honest: remove when added).
NOT_YET = {
    "ModelStage",  # ModelStatus.model_stage is a plain str here
}

# Fields of shared classes we leave out on purpose.
FIELDS_LEFT_OUT = {
    "sdk_http_response",  # the official SDK's raw HTTP response; errors carry plain data here
    "should_return_http_response",
}


def _official_names() -> list[str]:
    return [
        n
        for n in dir(genai_types)
        if not n.startswith("_")
        and isinstance(getattr(genai_types, n), type)
        and issubclass(getattr(genai_types, n), (pydantic.BaseModel, enum.Enum))
        and getattr(genai_types, n).__module__.startswith("google.genai")
    ]


def test_every_official_type_is_ours_or_left_out_on_purpose() -> None:
    pattern = re.compile("|".join(f"(?:{p})" for p in LEFT_OUT))
    lacking = sorted(
        n for n in _official_names() if n not in ours.__all__ and n not in NOT_YET and not pattern.search(n)
    )
    assert lacking == []
    assert not [n for n in NOT_YET if n in ours.__all__], "remove added names from NOT_YET"


def test_the_types_named_in_issue_17_exist() -> None:
    for name in (
        "AutomaticFunctionCallingConfig",
        "AudioTranscriptionConfig",
        "Environment",
        "FunctionResponseBlob",
        "FunctionResponseFileData",
        "ServiceTier",
        "GoogleTypeDate",
        "ToolCall",
        "ToolResponse",
    ):
        assert name in ours.__all__, name
    assert "automatic_continuation" in {f.name for f in msgspec.structs.fields(ours.GenerateContentConfig)}


# Fields present in the official class and absent here, per class, with the reason.
FIELD_ALLOW = {
    "AudioTranscriptionConfig": {"language_auto", "language_hints"},  # preview, untyped in the docs
    "ComputerUse": {"enable_prompt_injection_detection", "disabled_safety_policies"},  # Vertex
    "ContentEmbeddingStatistics": {"tokens_details"},  # Vertex
    "CreateCachedContentConfig": {"kms_key_name"},  # Vertex
    "EmbedContentConfig": {"mime_type", "auto_truncate", "document_ocr", "audio_track_extraction"},  # Vertex
    "EmbedContentResponse": {"truncated"},  # Vertex
    "FunctionCall": {"partial_args", "will_continue"},  # Vertex argument streaming
    "FunctionCallingConfig": {"stream_function_call_arguments"},  # Vertex
    "FunctionResponsePart": {
        "media_processing",
        "media_resolution",
        "video_metadata",
        "document_metadata",
        "spreadsheet_metadata",
        "audio_metadata",
    },  # preview metadata, Vertex
    "GenerateContentConfig": {
        "routing_config",
        "model_selection_config",
        "audio_timestamp",
        "model_armor_config",
        "generation_output_config",
    },  # Vertex (the SDK refuses them for Gemini)
    "GenerationConfig": {
        "model_selection_config",
        "audio_timestamp",
        "routing_config",
        "response_format",
        "translation_config",
    },  # Vertex / undocumented (docs §3.5: do not send)
    "GoogleMaps": {"auth_config", "grounding_types"},  # Vertex
    "GoogleSearch": {"search_types", "blocking_confidence", "exclude_domains"},  # Vertex / preview
    "GroundingChunk": {"image"},  # Vertex image search
    "GroundingChunkMaps": {"route"},  # Vertex
    "GroundingChunkRetrievedContext": {"rag_chunk"},  # Vertex RAG engine
    "GroundingMetadata": {"source_flagging_uris"},  # Vertex
    "GroundingSupport": {"rendered_parts"},  # Vertex
    "HarmCategory": {
        "HARM_CATEGORY_JAILBREAK",
        "HARM_CATEGORY_IMAGE_HATE",
        "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT",
        "HARM_CATEGORY_IMAGE_HARASSMENT",
        "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT",
    },  # Vertex (docs §3.7)
    "HttpOptions": {
        "base_url_resource_scope",
        "client_args",
        "async_client_args",
        "extra_body",
        "httpx_client",
        "httpx_async_client",
        "aiohttp_client",
    },  # the official SDK's transport knobs; ours is aiohttp
    "ImageConfig": {
        "person_generation",
        "prominent_people",
        "output_mime_type",
        "output_compression_quality",
        "image_output_options",
    },  # Vertex
    "ListFilesResponse": {"data", "next_page"},  # pager helpers; our Pager does that
    "ListModelsConfig": {"filter", "query_base"},  # Vertex
    "Model": {"endpoints", "labels", "tuned_model_info", "default_checkpoint_id", "checkpoints"},  # Vertex
    "Part": {
        "audio_transcription",
        "media_processing",
        "speech_metadata",
        "document_metadata",
        "spreadsheet_metadata",
        "audio_metadata",
    },  # Live / Vertex preview
    "PartMediaResolution": {"num_tokens"},  # Vertex
    "SafetyRating": {"overwritten_threshold"},  # Vertex
    "Tool": {"retrieval", "enterprise_web_search", "parallel_ai_search", "mcp_servers", "exa_ai_search"},  # Vertex
    "ToolType": {"MEDIA_PROCESSING"},  # Vertex
    "UsageMetadata": {"response_token_count", "response_tokens_details"},  # Live API names
    "VideoMetadata": {"content_layers"},  # Vertex
    # Batch fields the official SDK refuses for the Gemini API ("only supported in ... Agent Platform"):
    # GCS / BigQuery / Vertex dataset sources and destinations, Vertex completion stats and output info.
    "BatchJob": {"completion_stats", "output_info"},
    "BatchJobDestination": {"bigquery_uri", "format", "gcs_uri", "vertex_dataset"},
    "BatchJobSource": {"bigquery_uri", "format", "gcs_uri", "vertex_dataset_name"},
    "CreateBatchJobConfig": {"dest"},
    "ListBatchJobsConfig": {"filter"},
    # Live API fields of the newest SDK with no Gemini API documentation (docs §12 lists none of them):
    # avatars, explicit VAD signals, history/translation configs, interim transcripts, voice activity.
    "LiveClientMessage": {"context_update"},
    "LiveClientSetup": {"avatar_config", "explicit_vad_signal", "history_config", "labels"},
    "LiveConnectConfig": {"avatar_config", "explicit_vad_signal", "history_config", "labels", "translation_config"},
    "LiveServerContent": {"interaction_status", "interim_input_transcription"},
    "LiveServerMessage": {"voice_activity", "voice_activity_detection_signal"},
    "LiveServerSetupComplete": {"voice_consent_signature"},
    "ProactivityConfig": {"proactive_video"},
    "RealtimeInputConfig": {"interim_transcript_timestamp_enabled"},
    "Transcription": {"end_offset", "language_code", "speaker_label", "start_offset", "words"},
    "VoiceConfig": {"replicated_voice_config", "voice"},  # preview voice cloning
}


def test_fields_of_shared_types() -> None:
    lacking: dict[str, list[str]] = {}
    for name in _official_names():
        if name not in ours.__all__:
            continue
        theirs, mine = getattr(genai_types, name), getattr(ours, name)
        if not isinstance(mine, type):  # UserContent / ModelContent: functions returning a Content
            continue
        if issubclass(theirs, pydantic.BaseModel) and issubclass(mine, msgspec.Struct):
            have = {f.name for f in msgspec.structs.fields(mine)} | {
                k for k in dir(mine) if isinstance(getattr(mine, k, None), property)
            }
            wanted = set(theirs.model_fields)
        elif issubclass(theirs, enum.Enum) and issubclass(mine, enum.Enum):
            have, wanted = set(mine.__members__), set(theirs.__members__)
        else:
            continue
        missing = sorted(wanted - have - FIELDS_LEFT_OUT - FIELD_ALLOW.get(name, set()))
        if missing:
            lacking[name] = missing
    assert lacking == {}


def test_response_parts_are_typed() -> None:
    body = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"toolCall": {"id": "t1", "toolType": "GOOGLE_SEARCH_WEB", "args": {"queries": ["x"]}}},
                        {"toolResponse": {"id": "t1", "toolType": "GOOGLE_SEARCH_WEB", "response": {"ok": True}}},
                        {"text": "answer"},
                    ],
                },
                "citationMetadata": {
                    "citationSources": [{"uri": "https://a", "publicationDate": {"year": 2024, "month": 5}}]
                },
                "groundingMetadata": {
                    "groundingChunks": [
                        {
                            "retrievedContext": {
                                "title": "doc",
                                "customMetadata": [
                                    {"key": "author", "stringValue": "Ada"},
                                    {"key": "year", "numericValue": 1843},
                                    {"key": "tags", "stringListValue": {"values": ["math", "engine"]}},
                                ],
                            }
                        }
                    ]
                },
                "finishReason": "STOP",
            }
        ]
    }
    raw = msgspec.json.encode(body)
    r = msgspec.json.decode(raw, type=ours.GenerateContentResponse)
    assert r.candidates is not None
    cand = r.candidates[0]
    parts = cand.content.parts  # type: ignore[union-attr]
    assert parts is not None
    assert parts[0].tool_call == ours.ToolCall(id="t1", tool_type="GOOGLE_SEARCH_WEB", args={"queries": ["x"]})
    assert parts[1].tool_response == ours.ToolResponse(id="t1", tool_type="GOOGLE_SEARCH_WEB", response={"ok": True})
    citation = cand.citation_metadata.citations[0]  # type: ignore[union-attr,index]
    assert citation.publication_date == ours.GoogleTypeDate(year=2024, month=5)
    metadata = cand.grounding_metadata.grounding_chunks[0].retrieved_context.custom_metadata  # type: ignore[union-attr,index]
    assert metadata == [
        ours.GroundingChunkCustomMetadata(key="author", string_value="Ada"),
        ours.GroundingChunkCustomMetadata(key="year", numeric_value=1843.0),
        ours.GroundingChunkCustomMetadata(
            key="tags", string_list_value=ours.GroundingChunkStringList(values=["math", "engine"])
        ),
    ]
    assert msgspec.json.decode(msgspec.json.encode(r)) == body  # nothing lost on a round trip


def test_user_and_model_content_shorthands() -> None:
    assert ours.UserContent(parts="hi") == ours.Content(role="user", parts=[ours.Part(text="hi")])
    call = ours.Part.from_function_call(name="f", args={})
    assert ours.ModelContent(parts=[call, "x"]) == ours.Content(role="model", parts=[call, ours.Part(text="x")])
