"""Connection pressure on berth's socket, run as a real user (ClientBoundsIT).

  hold-connections.py SOCKET idle N        open N connections (each pings once, so berth has
                                           surely counted it) and hold them, then one more asks
                                           GET /_ping; print its status line, then "HELD"; wait
                                           for stdin EOF
  hold-connections.py SOCKET slow N SECS   N connections each send a request head one byte every
                                           0.25 s; print each one's status line (or "none") once
                                           it got an answer or SECS passed
"""
import socket
import sys
import time

PING = b"GET /_ping HTTP/1.1\r\nHost: berth\r\n\r\n"


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def status(s, timeout):
    s.settimeout(timeout)
    try:
        data = s.recv(65536)
    except (socket.timeout, ConnectionResetError):
        return "none"
    return data.decode("iso-8859-1").split("\r\n")[0] if data else "closed"


def idle(path, n):
    held = [connect(path) for _ in range(n)]
    for s in held:
        s.sendall(PING)
        status(s, 10)
    extra = connect(path)
    extra.sendall(PING)
    print(status(extra, 10), flush=True)
    print("HELD", flush=True)
    sys.stdin.read()
    for s in held:
        s.close()


def slow(path, n, secs):
    conns = [connect(path) for _ in range(n)]
    answers = [None] * n
    deadline = time.time() + secs
    i = 0
    while time.time() < deadline and None in answers:
        for k, s in enumerate(conns):
            if answers[k] is not None:
                continue
            s.setblocking(False)
            try:
                data = s.recv(65536)
                answers[k] = data.decode("iso-8859-1").split("\r\n")[0] if data else "closed"
                continue
            except BlockingIOError:
                pass
            except ConnectionResetError:
                answers[k] = "reset"
                continue
            try:
                s.sendall(PING[i % len(PING):i % len(PING) + 1] if i < len(PING) - 4 else b"X")
            except (BrokenPipeError, ConnectionResetError):
                answers[k] = "reset"
        i += 1
        time.sleep(0.25)
    for a in answers:
        print(a if a is not None else "none", flush=True)


if __name__ == "__main__":
    if sys.argv[2] == "idle":
        idle(sys.argv[1], int(sys.argv[3]))
    else:
        slow(sys.argv[1], int(sys.argv[3]), float(sys.argv[4]))
