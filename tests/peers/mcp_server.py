"""A third-party MCP server for the conformance tests: the official Python SDK.

Usage: python3 tests/peers/mcp_server.py PORT

Serves streamable HTTP on 127.0.0.1:PORT/mcp with SSE-framed answers and a
session id, unlike the Ergo endpoint. Needs `python3 -m pip install 'mcp>=2,<3'`.
"""

import asyncio
import json
import logging
import sys

from mcp.server.mcpserver import Context, MCPServer

try:
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError:  # older 2.x layouts
    ToolError = Exception

server = MCPServer("ergosh-conformance-peer", log_level="WARNING")
cancelled = []


@server.tool()
def node_info() -> str:
    """Node facts as JSON text, the way the Ergo endpoint answers."""
    return json.dumps({"Name": "peer@localhost", "ProcessesTotal": 42, "Uptime": 7})


@server.tool()
def echo(text: str, times: int = 1) -> str:
    """Repeat the text."""
    return " ".join([text] * times)


@server.tool()
def fail(reason: str) -> str:
    """Always fail, so the result carries isError: true."""
    raise ToolError(f"failed on purpose: {reason}")


@server.tool()
async def chatty(ctx: Context) -> str:
    """Send a log message and a progress note on the stream before answering."""
    await ctx.info("working on it")
    await ctx.report_progress(1, 2)
    return "done"


@server.tool()
async def slow(seconds: float) -> str:
    """Sleep; remembers when a notifications/cancelled stopped it."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        cancelled.append(seconds)
        raise
    return "slept"


@server.tool()
def cancellations() -> int:
    """How many `slow` calls were cancelled."""
    return len(cancelled)


if __name__ == "__main__":
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
