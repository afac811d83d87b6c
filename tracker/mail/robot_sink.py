"""A local group-robot receiver for the demo (`make run`): prints every post and answers as 企业微信 does.

    python -m tracker.mail.robot_sink --port 8026
"""
import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        length = min(int(self.headers.get("Content-Length") or 0), 1024 * 1024)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw.decode("utf-8"))
            markdown = body.get("markdown", {})
            text = markdown.get("content") or markdown.get("text") or body.get("text") or raw.decode("utf-8")
            answer = {"errcode": 0, "errmsg": "ok"}
        except (UnicodeDecodeError, ValueError, AttributeError):
            text, answer = raw.decode("utf-8", "replace"), {"errcode": 40001, "errmsg": "invalid json"}
        print(f"---------- 群机器人收到 {self.path}（{self.headers.get('X-Tracker-Key', '')}）----------\n{text}\n",
              flush=True)
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="本机群机器人接收器（演示用）：打印收到的消息")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8026)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), Sink)
    print(f"群机器人接收器：http://{args.host}:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
