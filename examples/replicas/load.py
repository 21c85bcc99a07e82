#!/usr/bin/env python3
"""Steady load through the load balancer for drill.sh (Python's standard library only).

Each thread sends one request at a time on a new connection, half of them
streamed, for --seconds, and every answer is judged:
  ok       200, and a stream ended by `data: [DONE]` with no error event
  refused  429 (a limit: expected for a tenant sending over its limit)
  failed   anything else: another status, a refused or reset connection, a timeout
  broken   a stream that began (200) but ended without [DONE] or with an error event
Says "load: started" on stderr when the clock starts. Writes one JSON object: the counts per tenant, and the time (seconds since the
Unix epoch) of every failed or broken request. With --drain, a tenant's limit
is used up before the clock starts, so what it is admitted during the load is
what its limit refills: one gateway admits rpm/60 per second.
"""
import argparse
import http.client
import json
import sys
import threading
import time


def one_request(port, key, stream, timeout):
    body = {"model": "small", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16, "stream": stream}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/v1/chat/completions", json.dumps(body),
                     {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        answer = conn.getresponse()
        try:
            data = answer.read()
        except (OSError, http.client.HTTPException):
            return "broken" if stream and answer.status == 200 else "failed"
        if answer.status == 429:
            return "refused"
        if answer.status != 200:
            return "failed"
        if stream:
            text = data.decode("utf-8", "replace")
            if "data: [DONE]" not in text or '"error"' in text:
                return "broken"
        return "ok"
    except (OSError, http.client.HTTPException):
        return "failed"
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True, help="the load balancer's port on 127.0.0.1")
    parser.add_argument("--tenant", action="append", required=True, metavar="ID:KEY:THREADS",
                        help="a tenant, its API key and how many threads send its requests")
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--pause", type=float, default=0.01, help="seconds each thread waits between requests")
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--drain", metavar="ID:KEY", help="first send this tenant's requests until one is refused "
                        "(429), so its limit is used up when the load starts")
    args = parser.parse_args()

    if args.drain:
        _, key = args.drain.split(":")
        for _ in range(100000):
            if one_request(args.port, key, False, args.timeout) == "refused":
                break

    counts, problems, lock = {}, [], threading.Lock()
    end = time.time() + args.seconds

    def sender(tenant, key, index):
        stream = index % 2 == 0
        while time.time() < end:
            started = time.time()
            verdict = one_request(args.port, key, stream, args.timeout)
            with lock:
                counts[tenant][verdict] += 1
                if verdict in ("failed", "broken"):
                    problems.append({"tenant": tenant, "verdict": verdict, "at": started})
            stream = not stream
            time.sleep(args.pause)

    threads = []
    for spec in args.tenant:
        tenant, key, n = spec.split(":")
        counts[tenant] = {"ok": 0, "refused": 0, "failed": 0, "broken": 0}
        threads += [threading.Thread(target=sender, args=(tenant, key, i)) for i in range(int(n))]
    started = time.time()
    print("load: started", file=sys.stderr, flush=True)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"started": started, "ended": time.time(), "counts": counts, "problems": problems}))


if __name__ == "__main__":
    main()
