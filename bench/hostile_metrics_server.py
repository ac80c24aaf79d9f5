#!/usr/bin/env python3
"""A hostile /metrics server on loopback for bench/memory.sh: every GET answers 200 with a
chunked text exposition that never ends (new distinct series as fast as the client reads).
Prints its port on the first line of stdout, then serves until killed.
Usage: python3 bench/hostile_metrics_server.py"""
import socket
import threading

HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n")


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def serve(connection):
    with connection:
        request = b""
        while b"\r\n\r\n" not in request:
            data = connection.recv(4096)
            if not data:
                return
            request += data
        try:
            connection.sendall(HEAD + chunk(b"# HELP endless_total Endless.\n# TYPE endless_total counter\n"))
            i = 0
            while True:
                lines = b"".join(b'endless_total{i="%d"} 1\n' % n for n in range(i, i + 2000))
                connection.sendall(chunk(lines))
                i += 2000
        except OSError:
            return


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection,), daemon=True).start()


if __name__ == "__main__":
    main()
