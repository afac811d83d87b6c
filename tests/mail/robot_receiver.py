"""A real HTTP receiver on 127.0.0.1 playing a group robot: it records every post and answers as told."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RobotReceiver:
    """`answers` is a list consumed one per post: "ok", "errcode", "500", "slow" (longer than the timeout);
    when it is empty every post succeeds."""

    def __init__(self):
        self.posts: list[dict] = []
        self.answers: list[str] = []
        self.lock = threading.Lock()
        self.slow_seconds = 3.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    answer = receiver.answers.pop(0) if receiver.answers else "ok"
                if answer == "slow":  # hangs past the client's timeout, then gives up without posting
                    time.sleep(receiver.slow_seconds)
                    self._reply(504, b"gateway timeout")
                    return
                if answer == "500":
                    self._reply(500, b"internal error")
                    return
                if answer == "errcode":
                    self._reply(200, json.dumps({"errcode": 93000, "errmsg": "invalid webhook url"}).encode())
                    return
                with receiver.lock:
                    receiver.posts.append({"path": self.path, "headers": dict(self.headers),
                                           "body": json.loads(body.decode("utf-8"))})
                self._reply(200, json.dumps({"errcode": 0, "errmsg": "ok"}).encode())

            def _reply(self, status, data):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left: as a real robot would see it

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path="/cgi-bin/webhook/send?key=demo") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def keys(self) -> list[str]:
        with self.lock:
            return [p["headers"].get("X-Tracker-Key") for p in self.posts]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
