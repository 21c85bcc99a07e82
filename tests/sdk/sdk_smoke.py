"""Smoke test of sluice with the official OpenAI Python SDK: non-streamed and
streamed chat (with the usage chunk of stream_options.include_usage), the
model list, and the SDK's error types for a bad key (401), an unknown model
(404) and, with SLUICE_LIMITED_KEY set to a key whose tenant has `rpm: 1`, a
rate limit (429).

    SLUICE_BASE_URL=http://127.0.0.1:8080/v1 tests/sdk/.venv/bin/python tests/sdk/sdk_smoke.py

Exits non-zero on the first failure; the last line ends in "all passed".
"""
import os
import sys
import traceback

import openai

BASE_URL = os.environ.get("SLUICE_BASE_URL")
if not BASE_URL:
    print("set SLUICE_BASE_URL, e.g. http://127.0.0.1:8080/v1", file=sys.stderr)
    sys.exit(2)
MODEL = os.environ.get("SLUICE_MODEL", "small")
KEY = os.environ.get("SLUICE_API_KEY", "sk-demo-acme")


def make_client(api_key: str = KEY) -> openai.OpenAI:
    # max_retries=0: a 429 or 5xx must surface as the error, not be retried away.
    return openai.OpenAI(base_url=BASE_URL, api_key=api_key, max_retries=0, timeout=10.0)


client = make_client()


def step(name, fn):
    try:
        fn()
    except Exception:  # noqa: BLE001 - report any failure and stop
        print(f"FAIL {name}:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
    print(f"ok   {name}")


def expect_error(cls, status, fn):
    try:
        fn()
    except cls as err:
        assert err.status_code == status, f"status {err.status_code}, expected {status}"
        return err
    except Exception as err:  # noqa: BLE001
        raise AssertionError(f"expected {cls.__name__}, got {type(err).__name__}: {err}") from err
    raise AssertionError(f"expected {cls.__name__}, the call succeeded")


def chat_non_streamed():
    res = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Say hello"}], max_tokens=8)
    assert res.object == "chat.completion", res.object
    assert len(res.choices) == 1
    msg = res.choices[0].message
    assert msg.role == "assistant"
    assert msg.content, "empty content"
    assert res.choices[0].finish_reason in ("length", "stop"), res.choices[0].finish_reason
    assert res.usage.completion_tokens == 8, res.usage
    assert res.usage.total_tokens == res.usage.prompt_tokens + res.usage.completion_tokens, res.usage


def chat_streamed_with_usage():
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Count to ten"}], max_tokens=10,
        stream=True, stream_options={"include_usage": True})
    text, chunks, usage, ids = "", 0, None, set()
    for chunk in stream:
        chunks += 1
        ids.add(chunk.id)
        assert chunk.object == "chat.completion.chunk", chunk.object
        if not chunk.choices:
            assert usage is None, "more than one usage chunk"
            assert chunk.usage is not None, "a chunk with neither choices nor usage"
            usage = chunk.usage
        else:
            assert usage is None, "a choice chunk after the usage chunk"
            text += chunk.choices[0].delta.content or ""
    assert chunks >= 3, f"only {chunks} chunks"
    assert len(ids) == 1, f"chunk ids differ: {ids}"
    assert text, "no streamed text"
    assert usage is not None, "no usage chunk"
    assert usage.completion_tokens == 10, usage
    assert usage.prompt_tokens > 0, usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, usage


def models_list():
    ids = [m.id for m in client.models.list()]
    assert MODEL in ids, f"models: {ids}"


def bad_key():
    bad = make_client("sk-not-a-real-key")
    err = expect_error(openai.AuthenticationError, 401, lambda: bad.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=2))
    assert err.code == "invalid_api_key", err.code


def unknown_model():
    err = expect_error(openai.NotFoundError, 404, lambda: client.chat.completions.create(
        model="no-such-model", messages=[{"role": "user", "content": "hi"}], max_tokens=2))
    assert err.code == "model_not_found", err.code


def rate_limited():
    # rpm 1: the bucket starts full, so the first request passes and the second is refused.
    limited = make_client(os.environ["SLUICE_LIMITED_KEY"])
    limited.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    err = expect_error(openai.RateLimitError, 429, lambda: limited.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=2))
    assert err.code == "rate_limit_exceeded", err.code
    assert err.response.headers.get("retry-after"), "no Retry-After header"


step("chat.completions.create", chat_non_streamed)
step("chat.completions.create (stream, include_usage)", chat_streamed_with_usage)
step("models.list", models_list)
step("bad key raises AuthenticationError 401", bad_key)
step("unknown model raises NotFoundError 404", unknown_model)
if os.environ.get("SLUICE_LIMITED_KEY"):
    step("second request at rpm 1 raises RateLimitError 429", rate_limited)
print(f"sdk smoke (python, openai {openai.__version__}): all passed")
