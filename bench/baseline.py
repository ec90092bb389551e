"""The baseline: a minimal Starlette app on the same uvicorn settings as ``commprefs serve``,
answering the benchmarked routes with a fixed body. The service's throughput is reported as a
fraction of this one's, measured in the same run, so that the figures travel between machines.

    python -m bench.baseline --port 8090 [--workers N]
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PREFIX = "/communication-preferences/v4"
FIXED_BODY = (
    b'{"status":"COMPLETE","results":[],"startedAt":"2026-01-01T00:00:00.000Z",'
    b'"completedAt":"2026-01-01T00:00:00.000Z"}'
)


async def fixed(request: Request) -> Response:
    # Read the body as the service must, so that both sides do the same HTTP work.
    await request.body()
    return Response(FIXED_BODY, media_type="application/json")


app = Starlette(
    routes=[
        Route(f"{PREFIX}/statuses/batch/read", fixed, methods=["POST"]),
        Route(f"{PREFIX}/statuses/batch/write", fixed, methods=["POST"]),
        Route(f"{PREFIX}/statuses/{{subscriber}}/unsubscribe-all", fixed, methods=["POST"]),
        Route(f"{PREFIX}/statuses/{{subscriber}}", fixed, methods=["GET", "POST"]),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--fastapi",
        action="store_true",
        help="serve the FastAPI floor instead (bench/asgi.py: GET statuses with the service's "
        "parameters, a fixed body): what the framework alone costs (python -m bench.floor)",
    )
    args = parser.parse_args()
    # The settings of `commprefs serve` (run_server in src/commprefs/app.py): uvloop and
    # httptools are chosen by "auto", no access log.
    uvicorn.run(
        "bench.asgi:fastapi_floor" if args.fastapi else "bench.baseline:app",
        factory=args.fastapi,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,
    )


if __name__ == "__main__":
    main()
