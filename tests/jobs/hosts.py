"""Two "hosts" for the two-host test: Linux network namespaces joined to this one by veth pairs, each with
its own address, or — where the machine does not allow namespaces — two ports on 127.0.0.1.

PostgreSQL here listens on 127.0.0.1 only, which a namespace cannot reach; a TCP relay on the gateway
address (this namespace's end of the first veth pair) carries the hosts' database connections to it, byte
for byte. The SMTP server listens on the gateway address too, so both hosts send to one real server.
"""
import os
import selectors
import socket
import subprocess
import threading
from dataclasses import dataclass, field


@dataclass
class Host:
    name: str
    address: str  # where its web process listens
    namespace: str | None = None

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv] if self.namespace else argv


@dataclass
class Network:
    hosts: list[Host]
    gateway: str  # the address the hosts reach this namespace's services at
    namespaces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    why_not: str = ""  # set when namespaces could not be made (the fallback runs on two ports)

    def close(self) -> None:
        for namespace in self.namespaces:
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        for link in self.links:  # gone with its peer's namespace; removed here in case it was not moved yet
            subprocess.run(["ip", "link", "del", link], capture_output=True)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def make_network(count: int = 2) -> Network:
    tag = f"zg{os.getpid() % 100000}"
    subnet = 100 + os.getpid() % 100
    network = Network(hosts=[], gateway=f"10.{subnet}.1.1")
    try:
        for i in range(1, count + 1):
            namespace, outer, inner = f"{tag}h{i}", f"{tag}r{i}", f"{tag}n{i}"
            _ip("netns", "add", namespace)
            network.namespaces.append(namespace)
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            network.links.append(outer)
            _ip("link", "set", inner, "netns", namespace)
            _ip("addr", "add", f"10.{subnet}.{i}.1/24", "dev", outer)
            _ip("link", "set", outer, "up")
            _ip("-n", namespace, "addr", "add", f"10.{subnet}.{i}.2/24", "dev", inner)
            _ip("-n", namespace, "link", "set", inner, "up")
            _ip("-n", namespace, "link", "set", "lo", "up")
            _ip("-n", namespace, "route", "add", "default", "via", f"10.{subnet}.{i}.1")
            network.hosts.append(Host(f"host{i}", f"10.{subnet}.{i}.2", namespace))
    except (OSError, subprocess.CalledProcessError) as error:
        network.close()
        detail = getattr(error, "stderr", "") or str(error)
        return Network(hosts=[Host(f"host{i}", "127.0.0.1") for i in range(1, count + 1)], gateway="127.0.0.1",
                       why_not=f"network namespaces unavailable ({detail.strip()}): two ports on 127.0.0.1")
    return network


class Relay:
    """Listens on (host, port) and joins every connection to `target`, both ways, until either side closes."""

    def __init__(self, host: str, target: tuple[str, int]):
        self.target = target
        self.server = socket.create_server((host, 0))
        self.address = self.server.getsockname()
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        try:
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.5):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            client.close()
            upstream.close()

    def close(self) -> None:
        self._stop.set()
        self.server.close()
        self._thread.join(timeout=5)
