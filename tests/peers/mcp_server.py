"""A third-party MCP server for the conformance tests: the official Python SDK.

Usage: python3 tests/peers/mcp_server.py PORT

Serves streamable HTTP on 127.0.0.1:PORT/mcp with SSE-framed responses and a
session id, unlike the Ergo endpoint.
"""

import json
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("ergosh-conformance-peer")


@server.tool()
def node_info() -> str:
    """Return node facts as JSON text, like the Ergo endpoint does."""
    return json.dumps({"Name": "peer@localhost", "ProcessesTotal": 42, "Uptime": 7})


@server.tool()
def echo(text: str, times: int = 1) -> str:
    """Repeat the text."""
    return " ".join([text] * times)


@server.tool()
def fail(reason: str) -> str:
    """Always fail, so the result carries isError: true."""
    raise ValueError(f"failed on purpose: {reason}")


if __name__ == "__main__":
    port = int(sys.argv[1])
    server.settings.log_level = "WARNING"
    server.run(transport="streamable-http", host="127.0.0.1", port=port)
