"""The GraphiQL page, served with its assets from this server (works offline).
Subscriptions run over a WebSocket to the same URL (graphql-ws's client, bundled too).

GraphiQL keeps its tabs, history and settings in `localStorage`, which is shared by every
page of the origin: each typegraph's page gives it a view of its own (keys prefixed with
`wire:<path>:`), so tabs written against /math never open on /gateway, where they fail.

The assets (GraphiQL 2, React 17) come from the pinned `graphene-django-graphiql-static`
package, which only ships them as files: nothing of it is imported.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from importlib.resources.abc import Traversable

ASSET_PACKAGE = "graphene_django_graphiql_static"
ASSETS = {
    "react.js": ("react.production.min.js", "text/javascript"),
    "react-dom.js": ("react-dom.production.min.js", "text/javascript"),
    "graphiql.js": ("graphiql.min.js", "text/javascript"),
    "graphql-ws.js": ("graphql-ws.min.js", "text/javascript"),
    "graphiql.css": ("graphiql.min.css", "text/css"),
}
ASSET_PREFIX = "/_wire/graphiql/"
# wire's icon (`/favicon.ico`): a "w" drawn as a wire.
FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    b'<rect width="32" height="32" rx="7" fill="#1e293b"/>'
    b'<path d="M5 9l5.5 14L16 12l5.5 11L27 9" fill="none" stroke="#38bdf8" '
    b'stroke-width="3.2" stroke-linecap="round" stroke-linejoin="round"/></svg>\n'
)


def asset(name: str) -> tuple[bytes, str] | None:
    """(content, media type) of a GraphiQL asset; None for an unknown name."""
    entry = ASSETS.get(name)
    if entry is None:
        return None
    root: Traversable = resources.files(ASSET_PACKAGE) / "static" / ASSET_PACKAGE
    return (root / entry[0]).read_bytes(), entry[1]


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="{prefix}graphiql.css">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
<script src="{prefix}react.js"></script>
<script src="{prefix}react-dom.js"></script>
<script src="{prefix}graphiql.js"></script>
<script src="{prefix}graphql-ws.js"></script>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script>
  const config = {config};
  const params = new URLSearchParams(location.search);
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = scheme + location.host + config.endpoint;
  // This typegraph's own view of localStorage (see the module's docstring).
  const scoped = (prefix) => {{
    const keys = () => Object.keys(localStorage).filter((k) => k.startsWith(prefix));
    return {{
      getItem: (key) => localStorage.getItem(prefix + key),
      setItem: (key, value) => localStorage.setItem(prefix + key, value),
      removeItem: (key) => localStorage.removeItem(prefix + key),
      clear: () => keys().forEach((k) => localStorage.removeItem(k)),
      get length() {{ return keys().length; }},
    }};
  }};
  const fetcher = GraphiQL.createFetcher({{
    url: config.endpoint,
    wsClient: graphqlWs.createClient({{ url: ws, lazy: true }}),
  }});
  ReactDOM.render(
    React.createElement(GraphiQL, {{
      fetcher,
      storage: scoped("wire:" + config.endpoint + ":"),
      query: params.get("query") || config.defaultQuery,
      variables: params.get("variables") || undefined,
      headerEditorEnabled: true,
      defaultEditorToolsVisibility: true,
    }}),
    document.getElementById("graphiql"),
  );
</script>
</body>
</html>
"""


def page(name: str, endpoint: str) -> str:
    """The GraphiQL page for typegraph `name`, querying `endpoint`."""
    config = {
        "endpoint": endpoint,
        "defaultQuery": f"# typegraph {name}: write a query, then run it (Ctrl-Enter)\n",
    }
    # </ cannot end the script element early once escaped this way
    encoded = json.dumps(config).replace("</", "<\\/")
    return _PAGE.format(
        title=html.escape(f"{name} · wire GraphiQL"), prefix=ASSET_PREFIX, config=encoded
    )
