"""{{project-name}}: an HTTP handler in Python (Spin Python SDK). Build: `lepton build`."""

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        # spin-path-info: the part of the path after the route's base ("/" for the route itself).
        path = request.headers.get("spin-path-info") or "/"
        return Response(
            200,
            {"content-type": "text/plain"},
            f"Hello from {{project-name}}! ({request.method} {path})\n".encode("utf-8"),
        )
