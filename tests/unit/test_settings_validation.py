"""Settings are checked as strictly as config dicts: retry=, http_options (client and per call),
enum-valued fields; a sub-second timeout in the official SDK's milliseconds warns."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import genai_async
from genai_async import errors, types
from genai_async._coerce import generate_config, generate_request
from genai_async._retry import RetryPolicy, policy_from


def _client(**kw: Any) -> genai_async.Client:
    return genai_async.Client(api_key="k", **kw)


# ------------------------------------------------------------------------------------------- retry=


@pytest.mark.parametrize("off", [0, False, {"attempts": 1}, {"attempts": 0}, types.HttpRetryOptions(attempts=1)])
def test_retry_off(off: Any) -> None:
    assert _client(retry=off)._settings.retry is None


def test_retry_defaults_and_tuning() -> None:
    assert _client()._settings.retry == RetryPolicy()
    assert _client(retry=True)._settings.retry == RetryPolicy()
    policy = _client(retry={"attempts": 3, "initial_delay": 0.5})._settings.retry
    assert policy is not None and policy.attempts == 3 and policy.initial_delay == 0.5


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ({"max_retries": 0}, r"unknown key 'max_retries'.*valid keys"),
        ({"attempt": 3}, r"unknown key 'attempt'.*did you mean 'attempts'\?"),
        ({"initialDelay": 1, "maxDelay": 2, "exp_bas": 2}, r"did you mean 'exp_base'\?"),
        ("yes", r"retry='yes'"),
        (3, r"retry=3 .*attempts"),
        (1.5, r"retry=1.5"),
        ({"attempts": "3"}, r"attempts must be"),
        ({"http_status_codes": ["x"]}, r"http_status_codes"),
        ({"http_status_codes": 503}, r"http_status_codes"),
    ],
)
def test_bad_retry_is_a_clear_error(value: Any, match: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        _client(retry=value)


def test_bad_retry_options_in_http_options() -> None:
    with pytest.raises(errors.ConfigurationError, match=r"did you mean 'attempts'"):
        _client(http_options={"retry_options": {"atempts": 2}})
    with pytest.raises(errors.ConfigurationError, match=r"did you mean 'attempts'"):
        policy_from({"atempts": 2})


# ------------------------------------------------------------------------------------- http_options


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"timout": 5000}, r"unknown key 'timout'.*did you mean 'timeout'\?"),
        ({"base_ur": "http://localhost:1"}, r"did you mean 'base_url'\?"),
        ({"headers": "x"}, r"http_options.headers must be a mapping"),
        ({"timeout": "5s"}, r"http_options.timeout must be"),
        ({"client_args": {"verify": False}}, r"client_args.*not supported by genai_async"),
        ("fast", r"http_options must be"),
    ],
)
def test_bad_client_http_options(options: Any, match: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        _client(http_options=options)


def test_http_options_struct_and_camel_keys_are_accepted() -> None:
    c = _client(http_options=types.HttpOptions(api_version="v1", timeout=30_000, headers={"x-a": "1"}))
    assert c._settings.api_version == "v1" and c._settings.timeout == 30.0 and c._settings.headers == {"x-a": "1"}
    c = _client(http_options={"apiVersion": "v1", "retryOptions": {"attempts": 2}})
    assert c._settings.api_version == "v1" and c._settings.retry is not None and c._settings.retry.attempts == 2


def test_official_sdk_http_options_object_is_accepted() -> None:
    from google.genai import types as official

    c = _client(http_options=official.HttpOptions(timeout=30_000, api_version="v1"))
    assert c._settings.timeout == 30.0 and c._settings.api_version == "v1"


def test_per_call_http_options_unknown_key() -> None:
    with pytest.raises(errors.ConfigurationError, match=r"did you mean 'timeout'\?"):
        generate_config({"http_options": {"timout": 5}})


@pytest.mark.parametrize("where", ["client", "call"])
def test_sub_second_timeout_in_milliseconds_warns(where: str) -> None:
    from genai_async._options import with_overrides

    with pytest.warns(UserWarning, match=r"timeout=5 is in milliseconds.*0.005 s.*'timeout': 5000"):
        if where == "client":
            settings = _client(http_options={"timeout": 5})._settings
        else:
            settings = with_overrides(_client()._settings, types.HttpOptions(timeout=5))
    assert settings.timeout == 0.005  # honoured as given: the warning only points it out


def test_timeouts_of_a_second_or_more_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _client(http_options={"timeout": 1000})._settings.timeout == 1.0
        assert _client(timeout=0.5)._settings.timeout == 0.5  # seconds: no ambiguity


# --------------------------------------------------------------------------------- enum-valued fields


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"thinking_config": {"thinking_level": "lowest"}}, r"thinking_level='lowest'.*did you mean 'LOW'\?"),
        (
            {"safety_settings": [{"category": "HARM_CATEGORY_HATE", "threshold": "BLOCK_NONE"}]},
            r"safety_settings\[0\].category='HARM_CATEGORY_HATE'.*HARM_CATEGORY_HATE_SPEECH",
        ),
        (
            {"safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "block_al"}]},
            r"threshold='block_al'",
        ),
        ({"media_resolution": "ultra"}, r"media_resolution='ultra'"),
        ({"response_modalities": ["TEXT", "SMELL"]}, r"response_modalities\[1\]='SMELL'"),
        ({"tool_config": {"function_calling_config": {"mode": "sometimes"}}}, r"mode='sometimes'"),
    ],
)
def test_unknown_enum_values_fail_before_sending(config: dict[str, Any], match: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=match):
        generate_config(config)


def test_known_enum_values_any_case_are_sent_upper_case() -> None:
    cfg = generate_config(
        {
            "thinking_config": {"thinking_level": "low"},
            "media_resolution": types.MediaResolution.MEDIA_RESOLUTION_LOW,
            "response_modalities": ["text"],
            "safety_settings": [{"category": "harm_category_harassment", "threshold": "BLOCK_NONE"}],
        }
    )
    body = generate_request("x", cfg)
    gen = body.generation_config
    assert gen is not None and gen.thinking_config is not None and gen.thinking_config.thinking_level == "LOW"
    assert gen.media_resolution == "MEDIA_RESOLUTION_LOW" and gen.response_modalities == ["TEXT"]
    assert body.safety_settings is not None and body.safety_settings[0].category == "HARM_CATEGORY_HARASSMENT"


def test_a_value_newer_than_this_library_goes_through_as_an_enum_member() -> None:
    cfg = generate_config({"thinking_config": {"thinking_level": types.ThinkingLevel("ULTRA")}})
    assert cfg is not None and cfg.thinking_config is not None and cfg.thinking_config.thinking_level == "ULTRA"


def test_embed_task_type_is_checked() -> None:
    from genai_async._resources.models import _embed_config

    with pytest.raises(errors.ConfigurationError, match=r"task_type='retrieval'.*RETRIEVAL_QUERY"):
        _embed_config({"task_type": "retrieval"})
