#!/usr/bin/env python3
"""Sends the same requests, valid and invalid, to a real engine and to
`sluice engine-sim`, and compares the answers field by field: status,
content type, the JSON shape (keys and value types, recursively), the values
that are protocol rather than content (object, role, finish_reason, error
type and code), SSE framing (events, the role chunk, the finish chunk, the
usage chunk, [DONE]).

  compare_shapes.py --real http://127.0.0.1:8000 --sim http://127.0.0.1:8001 [--model tiny] [--json out.json]
                    [--engine vllm|llamacpp --strict]

Prints one line per case: `same` or the differences. Exits 0 either way;
with --strict, 1 when a case differs in a way KNOWN (below, and
docs/engine-sim.md) does not list for --engine.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request

CHAT = [{"role": "user", "content": "hello world how are you today"}]


def cases(model: str) -> list[tuple[str, str, str, bytes | None]]:
    """(name, method, path, body)."""
    j = lambda d: json.dumps(d).encode()  # noqa: E731
    chat = {"model": model, "messages": CHAT, "max_tokens": 5, "temperature": 0}
    comp = {"model": model, "prompt": "hello world", "max_tokens": 5, "temperature": 0}
    return [
        ("chat", "POST", "/v1/chat/completions", j(chat)),
        ("chat stream", "POST", "/v1/chat/completions", j({**chat, "stream": True})),
        ("chat stream usage", "POST", "/v1/chat/completions",
         j({**chat, "stream": True, "stream_options": {"include_usage": True}})),
        ("completion", "POST", "/v1/completions", j(comp)),
        ("completion stream usage", "POST", "/v1/completions",
         j({**comp, "stream": True, "stream_options": {"include_usage": True}})),
        ("chat max_completion_tokens", "POST", "/v1/chat/completions",
         j({"model": model, "messages": CHAT, "max_completion_tokens": 3})),
        ("chat no model field", "POST", "/v1/chat/completions", j({"messages": CHAT, "max_tokens": 3})),
        ("bad JSON", "POST", "/v1/chat/completions", b'{"model": "x", "messages": ['),
        ("body not an object", "POST", "/v1/chat/completions", b"[1, 2]"),
        ("unknown model", "POST", "/v1/chat/completions", j({**chat, "model": "no-such-model"})),
        ("missing messages", "POST", "/v1/chat/completions", j({"model": model, "max_tokens": 3})),
        ("empty messages", "POST", "/v1/chat/completions", j({"model": model, "messages": [], "max_tokens": 3})),
        ("missing prompt", "POST", "/v1/completions", j({"model": model, "max_tokens": 3})),
        ("max_tokens too big", "POST", "/v1/chat/completions", j({**chat, "max_tokens": 1_000_000})),
        ("max_tokens 0", "POST", "/v1/chat/completions", j({**chat, "max_tokens": 0})),
        ("max_tokens negative", "POST", "/v1/chat/completions", j({**chat, "max_tokens": -1})),
        ("max_tokens string", "POST", "/v1/chat/completions", j({**chat, "max_tokens": "many"})),
        ("negative temperature", "POST", "/v1/chat/completions", j({**chat, "temperature": -1})),
        ("temperature 3", "POST", "/v1/chat/completions", j({**chat, "temperature": 3})),
        ("top_p 0", "POST", "/v1/chat/completions", j({**chat, "top_p": 0})),
        ("stream not bool", "POST", "/v1/chat/completions", j({**chat, "stream": "yes"})),
        ("n=2", "POST", "/v1/chat/completions", j({**chat, "n": 2})),
        ("prompt too long", "POST", "/v1/completions", j({**comp, "prompt": "hello " * 3000})),
        # Under the context for both counts (vLLM's tokenizer, engine-sim's bytes / 4), over it with max_tokens.
        ("prompt plus max_tokens too long", "POST", "/v1/completions",
         j({**comp, "prompt": "hello " * 1000, "max_tokens": 1500})),
        ("GET on chat", "GET", "/v1/chat/completions", None),
        ("unknown path", "GET", "/v1/nothing-here", None),
        ("models", "GET", "/v1/models", None),
        ("health", "GET", "/health", None),
    ]


def send(base: str, method: str, path: str, body: bytes | None):
    req = urllib.request.Request(base + path, data=body, method=method,
                                 headers={"Content-Type": "application/json"} if body is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            return res.status, res.headers.get("Content-Type", ""), res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


# Values that are protocol, compared as values; everything else by type.
VALUE_KEYS = {"object", "role", "finish_reason", "type", "code", "param", "index"}
ID_PATTERNS = {"chatcmpl-": re.compile(r"^chatcmpl-"), "cmpl-": re.compile(r"^cmpl-")}


def shape(v, key: str = ""):
    """A comparable skeleton of a JSON value."""
    if isinstance(v, dict):
        return {k: shape(x, k) for k, x in v.items()}
    if isinstance(v, list):
        # Lists are compared by their first element's shape (and emptiness).
        return ["<empty>"] if not v else [shape(v[0], key)]
    if key in VALUE_KEYS:
        return repr(v)
    if key == "id" and isinstance(v, str):
        for prefix, pat in ID_PATTERNS.items():
            if pat.match(v):
                return f"str:{prefix}*"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if v is None:
        return "null"
    return "str"


def diff(a, b, path: str = "") -> list[str]:
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            p = f"{path}.{k}" if path else k
            if k not in b:
                out.append(f"{p}: missing in sim (real: {brief(a[k])})")
            elif k not in a:
                out.append(f"{p}: only in sim ({brief(b[k])})")
            else:
                out.extend(diff(a[k], b[k], p))
    elif isinstance(a, list) and isinstance(b, list):
        out.extend(diff(a[0], b[0], path + "[0]"))
    elif a != b:
        out.append(f"{path}: real {brief(a)}, sim {brief(b)}")
    return out


def brief(v) -> str:
    s = json.dumps(v) if not isinstance(v, str) else v
    return s if len(s) < 60 else s[:57] + "..."


def sse(raw: bytes) -> tuple[list, list[str]]:
    """Parsed events and framing notes of an SSE body."""
    text = raw.decode(errors="replace")
    notes = []
    if "\r\n" in text:
        notes.append("CRLF line ends")
    blocks = [b for b in text.split("\n\n") if b.strip()]
    events = []
    for b in blocks:
        lines = b.splitlines()
        if any(not ln.startswith("data: ") for ln in lines):
            notes.append(f"non-data line: {lines[0][:40]!r}")
        payload = "\n".join(ln[6:] for ln in lines if ln.startswith("data: "))
        events.append("[DONE]" if payload == "[DONE]" else json.loads(payload))
    return events, notes


def stream_summary(events: list) -> dict:
    """The stream's structure: role chunk, content chunks, finish chunk, usage chunk, [DONE]."""
    chunks = [e for e in events if e != "[DONE]"]
    s = {"ends with [DONE]": events[-1:] == ["[DONE]"], "[DONE] count": events.count("[DONE]")}
    role = [c for c in chunks if c.get("choices") and "role" in (c["choices"][0].get("delta") or {})]
    s["role chunk has content"] = bool(role) and "content" in role[0]["choices"][0]["delta"]
    s["role chunk content is empty"] = bool(role) and role[0]["choices"][0]["delta"].get("content") == ""
    s["finish chunk carries text"] = bool(finish := [c for c in chunks if c.get("choices")
                                                     and c["choices"][0].get("finish_reason")]) and bool(
        (finish[-1]["choices"][0].get("delta") or {}).get("content") or finish[-1]["choices"][0].get("text"))
    s["role chunks"] = len(role)
    finish = [c for c in chunks if c.get("choices") and c["choices"][0].get("finish_reason")]
    s["finish chunks"] = len(finish)
    usage = [c for c in chunks if c.get("usage")]
    s["usage chunks"] = len(usage)
    s["usage chunk has empty choices"] = bool(usage) and usage[-1].get("choices") == []
    s["usage on other chunks"] = any("usage" in c for c in chunks if c not in usage)
    s["first chunk"] = shape(chunks[0]) if chunks else None
    s["middle chunk"] = shape(chunks[len(chunks) // 2]) if len(chunks) > 2 else None
    s["finish chunk"] = shape(finish[-1]) if finish else None
    s["usage chunk"] = shape(usage[-1]) if usage else None
    return s


def compare(real: str, sim: str, model: str) -> list[dict]:
    results = []
    for name, method, path, body in cases(model):
        ra, rb = send(real, method, path, body), send(sim, method, path, body)
        d = []
        if ra[0] != rb[0]:
            d.append(f"status: real {ra[0]}, sim {rb[0]}")
        ct_a, ct_b = ra[1].split(";")[0].strip(), rb[1].split(";")[0].strip()
        if ct_a != ct_b:
            d.append(f"content-type: real {ct_a!r}, sim {ct_b!r}")
        if ct_a == "text/event-stream" and ct_b == "text/event-stream":
            ea, na = sse(ra[2])
            eb, nb = sse(rb[2])
            if na != nb:
                d.append(f"framing: real {na}, sim {nb}")
            d.extend(diff(stream_summary(ea), stream_summary(eb)))
        else:
            try:
                ja = json.loads(ra[2]) if ra[2] else None
            except ValueError:
                ja = f"<not JSON: {ra[2][:40]!r}>"
            try:
                jb = json.loads(rb[2]) if rb[2] else None
            except ValueError:
                jb = f"<not JSON: {rb[2][:40]!r}>"
            d.extend(diff(shape(ja), shape(jb)))
            if ra[0] >= 400 and rb[0] >= 400 and isinstance(ja, dict) and isinstance(jb, dict):
                ma = (ja.get("error") or {}).get("message", "")
                mb = (jb.get("error") or {}).get("message", "")
                results.append({"case": name, "status": [ra[0], rb[0]], "diffs": d,
                                "messages": {"real": ma[:200], "sim": mb[:200]}})
                continue
        results.append({"case": name, "status": [ra[0], rb[0]], "diffs": d})
    return results


# Differences that stay, by engine and case: substrings of compare()'s lines.
# docs/engine-sim.md ("Differences from vLLM and llama.cpp") says why for each.
_VLLM_EXTENSIONS = [f"{field}: missing in sim" for field in (
    "token_ids", "routed_experts", "prompt_logprobs", "prompt_text", "prompt_token_ids", "kv_transfer_params",
    "ec_transfer_params", "metrics", "created_cache_tokens", "multimodal_tokens")]
_VLLM_STREAM = ["finish chunk.choices[0].delta.content: missing in sim", "finish chunk carries text",
                "role chunk content is empty", "finish chunk.system_fingerprint: missing in sim"]
_PYDANTIC = ["error.type: real 'Bad Request', sim 'BadRequestError'", "error.param: real 'body"]
KNOWN: dict[str, dict[str, list[str]]] = {
    "vllm": {
        "*": _VLLM_EXTENSIONS,
        "chat stream": _VLLM_STREAM,
        "chat stream usage": _VLLM_STREAM,
        "completion stream usage": ["finish chunk carries text"],
        "bad JSON": _PYDANTIC + ["error.param: real 'body.28', sim None"],
        "body not an object": _PYDANTIC + ["error.param: real 'body', sim None"],
        "missing messages": _PYDANTIC,
        "max_tokens string": _PYDANTIC,
        "stream not bool": [""],  # pydantic's lax bool: vLLM takes "yes" as true
        "n=2": ["error.param: real None, sim 'n'"],
    },
    # engine-sim follows vLLM; llama.cpp's differences are recorded (fidelity-llamacpp.txt), not failed.
    "llamacpp": {"*": [""]},
}


def unexplained(results: list[dict], engine: str) -> list[str]:
    known = KNOWN.get(engine, {})
    out = []
    for r in results:
        allowed = known.get(r["case"], []) + known.get("*", [])
        for line in r["diffs"]:
            if not any(a in line for a in allowed):
                out.append(f"{r['case']}: {line}")
    return out


def render(results: list[dict], label: str = "real") -> str:
    lines = []
    differing = 0
    for r in results:
        status = f"{r['status'][0]}/{r['status'][1]}"
        if not r["diffs"]:
            lines.append(f"same  {r['case']} ({status})")
        else:
            differing += 1
            lines.append(f"DIFF  {r['case']} ({status})")
            lines.extend(f"        {line}" for line in r["diffs"])
        if "messages" in r:
            lines.append(f"        message {label}: {r['messages']['real']!r}")
            lines.append(f"        message sim:  {r['messages']['sim']!r}")
    lines.append(f"{len(results) - differing} of {len(results)} cases have the same shape ({label} vs engine-sim)")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", required=True, help="base URL of the real engine")
    ap.add_argument("--sim", required=True, help="base URL of sluice engine-sim")
    ap.add_argument("--model", default="tiny", help="model name both serve")
    ap.add_argument("--json", help="write the results here too")
    ap.add_argument("--engine", choices=sorted(KNOWN), help="the real engine's kind: its known differences are allowed")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when a case differs (beyond --engine's known differences)")
    args = ap.parse_args()
    results = compare(args.real.rstrip("/"), args.sim.rstrip("/"), args.model)
    print(render(results), end="")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    left = unexplained(results, args.engine) if args.engine else [d for r in results for d in r["diffs"]]
    return 1 if args.strict and left else 0


if __name__ == "__main__":
    sys.exit(main())
