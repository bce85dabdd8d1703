"""lepton test guest: a Spin Python SDK (spin-sdk 3.4.x) wasi:http handler.

Built by tests/guests/components.cmake with
`componentize-py -w spin-http componentize app -o py_hello.wasm`.
"""

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        return Response(
            200,
            {"content-type": "text/plain"},
            b"Hello from Python",
        )
