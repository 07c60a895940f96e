"""The MCP server (``phasemem mcp``, extra ``[mcp]``): tools remember, recall,
context, facts, forget and pin over stdio or streamable HTTP.

Named ``mcp_server`` so it never shadows the SDK's ``mcp`` package. Import
``phasemem.mcp_server.server`` for the implementation; it raises
``MissingExtraError`` with the install command when the SDK is missing.
"""
