"""LiteLLM custom_auth hook for bench/peers_fairness.sh: the two tenants' keys,
each with the per-key limits given as JSON in PEERS_KEY_LIMITS (for example
{"max_parallel_requests": 8} or {"rpm_limit": 300}), enforced by LiteLLM's own
rate limiter. Stands in for LiteLLM's virtual keys, which need a database."""
import json
import os

from fastapi import Request
from litellm.proxy._types import UserAPIKeyAuth

KEYS = {"sk-fair-alpha": "alpha", "sk-fair-beta": "beta"}
LIMITS = json.loads(os.environ.get("PEERS_KEY_LIMITS", "{}"))


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    tenant = KEYS.get(api_key)
    if tenant is None:
        raise Exception("invalid api key")
    return UserAPIKeyAuth(api_key=api_key, token=tenant, key_alias=tenant, **LIMITS)
