"""The demo's mail sink (`make run`): an SMTP server on 127.0.0.1 that prints each mail decoded — From, To,
Cc, Subject and the text body — instead of aiosmtpd's raw base64. Ctrl-C (or SIGTERM) stops it quietly.

    python -m tracker.ops.mailsink --port 2526
"""
import argparse
import signal
import sys
from email import message_from_bytes, policy


class PrintingHandler:
    def __init__(self, out=None):
        self.out = out or sys.stdout

    async def handle_DATA(self, server, session, envelope):
        self.out.write(render(envelope.original_content or envelope.content, envelope.rcpt_tos))
        self.out.flush()
        return "250 OK"


def render(raw: bytes, recipients=()) -> str:
    message = message_from_bytes(raw, policy=policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    lines = ["", "=" * 24 + " 演示邮件 " + "=" * 24,
             f"发件人 From：{message.get('From', '')}",
             f"收件人 To：{message.get('To', '') or '、'.join(recipients)}"]
    if message.get("Cc"):
        lines.append(f"抄送 Cc：{message['Cc']}")
    lines += [f"主题 Subject：{message.get('Subject', '')}", "-" * 58, text.rstrip(), "=" * 58, ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description="演示邮件接收（打印收到的邮件）")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2526)
    args = parser.parse_args(argv)
    controller = Controller(PrintingHandler(), hostname=args.host, port=args.port)

    def stop(*_):
        # Ctrl-C reaches us and `make run`'s kill -TERM right after: the second signal must not interrupt
        # the shutdown (a handler taking a lock the interrupted code holds left the sink hanging).
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    controller.start()
    print(f"演示邮件接收：SMTP {args.host}:{args.port}（收到的邮件打印在这里）", flush=True)
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
