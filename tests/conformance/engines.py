"""Starting and stopping the processes of the conformance tests: real engines
(vLLM, llama.cpp's server), sluice's engine-sim, and sluice in front of them.

Every process listens on a loopback port picked at run time and logs to a
file under the run's directory; stop() kills what is still running.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLUICE = Path(os.environ.get("SLUICE_BINARY", ROOT / "build/release/sluice"))
VENV = Path(os.environ.get("CONFORMANCE_VENV", ROOT / "build/conformance-venv"))
LLAMA_SERVER = Path(os.environ.get("LLAMA_SERVER", ROOT / "build/conformance-llama/bin/llama-server"))
MODELS = Path(os.environ.get("CONFORMANCE_MODELS", ROOT / "build/conformance-models"))
SERVED_NAME = "tiny"  # what every engine calls the model, and sluice's upstream_model
KEYS = {"acme": "sk-conf-acme", "globex": "sk-conf-globex"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 30):
    """(status, headers, body bytes); never raises for an HTTP status."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def wait_ok(url: str, timeout: float, proc: "Proc | None" = None) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}; log {proc.log}:\n{proc.tail()}")
        try:
            status, _, _ = http("GET", url, timeout=2)
            if status == 200:
                return
            last = status
        except OSError as err:
            last = err
        time.sleep(0.25)
    raise TimeoutError(f"{url} not ready in {timeout}s (last: {last})" + (f"; log:\n{proc.tail()}" if proc else ""))


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    port: int
    extra: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, grace: float = 10) -> None:
        if self.popen.poll() is not None:
            return
        # Each process leads its own group, so an engine's workers go too.
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


def spawn(name: str, argv: list[str], logdir: Path, port: int, env: dict | None = None) -> Proc:
    logdir.mkdir(parents=True, exist_ok=True)
    log = logdir / f"{name}.log"
    out = open(log, "ab")
    full_env = dict(os.environ)
    full_env.update(env or {})
    popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=full_env, start_new_session=True)
    return Proc(name, popen, log, port)


# ---- engines -------------------------------------------------------------

def engine_env() -> dict:
    """What vLLM on CPU needs here: offline, a small KV cache, few threads."""
    return {
        "VLLM_TARGET_DEVICE": "cpu",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "VLLM_CPU_KVCACHE_SPACE": "1",
        "VLLM_CPU_OMP_THREADS_BIND": "nobind",
        "OMP_NUM_THREADS": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
        "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '')}",
    }


def vllm_argv(port: str | int, sleep_mode: bool = False) -> list[str]:
    argv = [str(VENV / "bin/vllm"), "serve", str(MODELS / "hf"), "--host", "127.0.0.1", "--port", str(port),
            "--served-model-name", SERVED_NAME, "--dtype", "float32", "--enforce-eager", "--max-model-len", "2048",
            "--max-num-seqs", "8", "--enable-prompt-tokens-details"]
    if sleep_mode:
        argv.append("--enable-sleep-mode")
    return argv


def llama_argv(port: str | int) -> list[str]:
    return [str(LLAMA_SERVER), "-m", str(MODELS / "tiny.gguf"), "--host", "127.0.0.1", "--port", str(port),
            "--alias", SERVED_NAME, "--metrics", "-c", "4096", "-np", "2", "-t", "1", "--no-warmup"]


def start_vllm(logdir: Path, name: str = "vllm", sleep_mode: bool = False, timeout: float = 600) -> Proc:
    port = free_port()
    env = engine_env()
    if sleep_mode:
        env["VLLM_SERVER_DEV_MODE"] = "1"  # /sleep, /wake_up, /is_sleeping
    p = spawn(name, vllm_argv(port, sleep_mode), logdir, port, env)
    wait_ok(p.base + "/health", timeout, p)
    wait_ok(p.base + "/v1/models", 60, p)
    return p


def start_llama(logdir: Path, name: str = "llamacpp", timeout: float = 120) -> Proc:
    port = free_port()
    p = spawn(name, llama_argv(port), logdir, port)
    wait_ok(p.base + "/health", timeout, p)
    return p


def start_engine_sim(logdir: Path, name: str = "engine-sim", extra: list[str] | None = None) -> Proc:
    port = free_port()
    argv = [str(SLUICE), "engine-sim", "--port", str(port), "--profile", "instant", "--served-model-name", SERVED_NAME,
            "--max-model-len", "2048"] + (extra or [])
    p = spawn(name, argv, logdir, port)
    wait_ok(p.base + "/health", 30, p)
    return p


# ---- sluice ------------------------------------------------------------------

def sluice_config(model_block: str, api_port: int, admin_port: int) -> str:
    tenants = "".join(
        f"  - id: {tenant}\n    api_keys: [\"sha256:{hashlib.sha256(key.encode()).hexdigest()}\"]\n    models: [\"*\"]\n"
        for tenant, key in KEYS.items())
    return (
        f"listen:\n  api: 127.0.0.1:{api_port}\n  admin: 127.0.0.1:{admin_port}\n"
        "server:\n  access_log: \"-\"\n  cache_salt_secret: conformance\n"
        "fleet:\n  start_timeout: 600s\n"
        f"tenants:\n{tenants}"
        f"models:\n{model_block}"
    )


def static_model(name: str, endpoints: list[str], cache_salt: bool) -> str:
    eps = ", ".join(endpoints)
    return (f"  - name: {name}\n    source: static\n    upstream_model: {SERVED_NAME}\n"
            f"    cache_salt: {'true' if cache_salt else 'false'}\n"
            f"    static: {{endpoints: [{eps}]}}\n"
            "    health_check: {interval: 500ms, timeout: 400ms}\n"
            "    scheduler: {engine_metrics_interval: 200ms}\n")


def process_model(name: str, command: list[str], cache_salt: bool, instances: int = 1) -> str:
    return (f"  - name: {name}\n    source: process\n    upstream_model: {SERVED_NAME}\n"
            f"    cache_salt: {'true' if cache_salt else 'false'}\n"
            f"    process:\n      command: \"{' '.join(command)}\"\n      instances: {instances}\n"
            "    health_check: {interval: 500ms, timeout: 400ms}\n"
            "    scheduler: {engine_metrics_interval: 200ms}\n")


def start_sluice(logdir: Path, model_block: str, name: str = "sluice", env: dict | None = None,
                 ready_timeout: float = 60) -> Proc:
    api, admin = free_port(), free_port()
    cfg = logdir / f"{name}.yaml"
    logdir.mkdir(parents=True, exist_ok=True)
    cfg.write_text(sluice_config(model_block, api, admin))
    p = spawn(name, [str(SLUICE), "serve", "--quiet", "--config", str(cfg)], logdir, api, env)
    p.extra["admin"] = admin
    p.extra["config"] = cfg
    wait_ok(f"http://127.0.0.1:{admin}/readyz", ready_timeout, p)
    return p


def admin_get(p: Proc, path: str) -> str:
    status, _, body = http("GET", f"http://127.0.0.1:{p.extra['admin']}{path}")
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")
    return body.decode()


def metric_values(text: str, name: str) -> list[tuple[str, float]]:
    """(labels, value) of every sample of metric `name` in Prometheus text."""
    out = []
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        rest = line[len(name):]
        if rest[:1] not in ("{", " "):
            continue
        labels = ""
        if rest.startswith("{"):
            labels, rest = rest[1:rest.index("}")], rest[rest.index("}") + 1:]
        try:
            out.append((labels, float(rest.split()[0])))
        except (ValueError, IndexError):
            pass
    return out


def sse_events(raw: bytes) -> list[str]:
    """The `data:` payloads of an SSE body, in order."""
    events = []
    for block in raw.decode().split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data:"):
                events.append(line[5:].strip())
    return events


def post_json(base: str, path: str, body: dict | bytes, key: str | None = None, timeout: float = 120):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return http("POST", base + path, data, headers, timeout)
