"""A WebSocket client in its own process, so that a test can freeze it (SIGSTOP): its kernel
keeps acknowledging TCP, but nothing answers a ping, as with a laptop whose lid closed.

    python3 still.py ws://HOST:PORT/ '<first text frame to send>'

Connects, sends the frame, prints "sent" and then reads (and prints) text frames and answers
pings until the socket closes. Standard library only."""

import base64
import os
import socket
import struct
import sys
from urllib.parse import urlparse


def frame(text: str, opcode: int = 0x1) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def main():
    url, first = urlparse(sys.argv[1]), sys.argv[2]
    sock = socket.create_connection((url.hostname, url.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {url.path or '/'} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        sys.exit(f"handshake refused: {head!r}")
    sock.sendall(frame(first))
    print("sent", flush=True)
    try:
        while True:
            b0, b1 = read_exact(sock, 2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", read_exact(sock, 2))[0]
            elif n == 127:
                n = struct.unpack("!Q", read_exact(sock, 8))[0]
            payload = read_exact(sock, n)
            if b0 & 0x0F == 0x8:
                break
            if b0 & 0x0F == 0x9:
                # A ping: answered with a pong while the process runs, and not while it is frozen.
                sock.sendall(frame(payload.decode("latin-1"), opcode=0xA))
            if b0 & 0x0F == 0x1:
                print(payload.decode(), flush=True)
    except (EOFError, ConnectionError):
        pass


main()
