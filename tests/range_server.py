"""A tiny HTTP server on 127.0.0.1 that serves files from memory, with HTTP Range support and
a few ways to misbehave: hang up mid-transfer, stall, ignore Range. For the download tests.

    with RangeServer({"a.tar.gz": data}) as server:
        download(server.url + "/a.tar.gz", dest)
        server.requests        # [Request(path='/a.tar.gz', range=None), ...]

(http.server's SimpleHTTPRequestHandler answers every request with the whole file.)
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple


class Request(NamedTuple):
    path: str
    range: str | None  # the Range header, if any


class RangeServer:
    def __init__(self, files: dict[str, bytes]):
        self.files = dict(files)
        self.requests: list[Request] = []
        self.cut_after: dict[str, int] = {}  # name -> bytes sent before hanging up (once)
        self.stall_after: dict[str, int] = {}  # name -> bytes sent before going silent (once)
        self.ignore_range = False  # answer 200 with the whole file, as some servers do
        self.range_shift = 0  # answer a Range request with bytes from start + shift (a buggy server)
        self.release = threading.Event()  # ends a stall
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def requests_for(self, name: str) -> list[Request]:
        return [r for r in self.requests if r.path == "/" + name]

    def __enter__(self) -> RangeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()  # joins the request threads
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so that server_close() waits for every request thread


_RANGE = re.compile(r"bytes=(\d+)-$")


def _handler_for(server: RangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            server.requests.append(Request(self.path, self.headers.get("Range")))
            data = server.files.get(self.path.lstrip("/"))
            if data is None:
                return self.send_error(404)
            start = self._range_start()
            if start is not None and start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                return self.end_headers()
            body = data[start or 0 :]
            self.send_response(206 if start is not None else 200)
            if start is not None:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._send(body)

        def _range_start(self) -> int | None:
            match = _RANGE.match(self.headers.get("Range") or "")
            return None if match is None or server.ignore_range else int(match.group(1)) + server.range_shift

        def _send(self, body: bytes) -> None:
            name = self.path.lstrip("/")
            if name in server.cut_after:
                self.wfile.write(body[: server.cut_after.pop(name)])
                return  # HTTP/1.0: the connection closes now, short of Content-Length
            if name in server.stall_after:
                self.wfile.write(body[: server.stall_after.pop(name)])
                self.wfile.flush()
                server.release.wait(timeout=10)
                return
            self.wfile.write(body)

        def log_message(self, *args):  # keep pytest's output clean
            pass

    return Handler
