# LiteLLM proxy hooks for the local stack: every call is logged (tests count model calls at the
# proxy), a few model names misbehave on purpose (rate limits with Retry-After, refusals,
# outages), and "-slow" models stream their chunks slowly (a watcher sees the text grow).
import asyncio
import json
import os
import time

from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger

CALL_LOG = os.environ.get("KUNLUN_LLM_CALL_LOG")
SLOW_CHUNK_SECONDS = float(os.environ.get("KUNLUN_LLM_SLOW_CHUNK_SECONDS", "0.15"))


class KunlunHooks(CustomLogger):
    def __init__(self):
        super().__init__()
        self.attempts = {}

    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        model = str(data.get("model", ""))
        if CALL_LOG:
            with open(CALL_LOG, "a", encoding="utf-8") as f:
                f.write(json.dumps({"at": time.time(), "model": model}) + "\n")
        if model.startswith("kunlun-flaky"):
            # The first attempt of each prompt is rate limited, the next one answers.
            key = json.dumps(data.get("messages"), sort_keys=True)
            n = self.attempts.get(key, 0)
            self.attempts[key] = n + 1
            if n == 0:
                raise HTTPException(
                    status_code=429,
                    detail="rate limited by kunlun-flaky, retry after 1 s",
                    headers={"Retry-After": "1"},
                )
        if model == "kunlun-refuse":
            raise HTTPException(status_code=400, detail="kunlun-refuse refuses every request")
        if model == "kunlun-down":
            raise HTTPException(status_code=503, detail="kunlun-down is down")
        return data

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data):
        slow = str(request_data.get("model", "")).endswith("-slow")
        async for item in response:
            if slow:
                await asyncio.sleep(SLOW_CHUNK_SECONDS)
            yield item


proxy_handler_instance = KunlunHooks()
