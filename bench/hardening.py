"""Clients for bench/hardening: pressure on berth's socket from one user, service seen by another.

  hardening.py idle SOCK N1 N2 ...     open idle connections, each after one GET /_ping answered
                                       200 (so berth has counted and served it): up to N1, print
                                       "AT N1 opened=K refused=R", wait for a line on stdin, then up
                                       to N2, ...; "refused" counts connections not answered 200
                                       (429 at a bound, reset, closed); exits on stdin EOF
  hardening.py loris SOCK N GAP SECS   N connections each send a request head one byte every GAP
                                       seconds for SECS seconds; then print how they ended:
                                       "answered=A (statuses) closed=C reset=R open=O"
  hardening.py ping SOCK SECS          GET /_ping in a closed loop on one keep-alive connection
                                       (a new one after an error) for SECS seconds; print
                                       "n=N errors=E p50_ms=.. p99_ms=.. max_ms=.."
  hardening.py held SOCK N1 N2 ...     as idle, and after each step's "AT" line and a line on stdin,
                                       one more GET /_ping on every held connection, 256 in
                                       flight at a time: print "SERVED N answered=A
                                       other=O statuses=S:K,... seconds=S", then wait for a line
                                       on stdin again
  hardening.py flood SOCK MAX          open connections (each pings once) until one is not
                                       answered 200 or MAX are open; print "held=K last=STATUS",
                                       then wait for stdin EOF
"""
import collections
import select
import selectors
import socket
import sys
import time

PING = b"GET /_ping HTTP/1.1\r\nHost: berth\r\n\r\n"


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def status_line(s, timeout):
    """The status line of one small answer (read to its end), or none/closed/reset."""
    s.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return "closed" if not data else data.split(b"\r\n")[0].decode("iso-8859-1")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
    except socket.timeout:
        return "none"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    return head.split(b"\r\n")[0].decode("iso-8859-1")


def pinged(path):
    """A connection that was answered one ping, and the status line."""
    try:
        s = connect(path)
        s.sendall(PING)
    except OSError as e:
        return None, "connect: " + e.strerror
    st = status_line(s, 30)
    return s, st


def idle(path, steps):
    held, refused = [], 0
    for n in steps:
        while len(held) + refused < n:
            s, st = pinged(path)
            if st.startswith("HTTP/1.1 200"):
                s.setblocking(False)
                held.append(s)
            else:
                refused += 1
                if s is not None:
                    s.close()
        print("AT %d opened=%d refused=%d" % (n, len(held), refused), flush=True)
        if not sys.stdin.readline():
            break
    for s in held:
        s.close()


def complete(data):
    """Whether data holds a whole answer: its head and the Content-Length bytes after it."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return True


WINDOW = 256


def served(held):
    """One more ping on every held connection, WINDOW of them in flight at a time (berth opens a
    daemon connection per request in flight: all 10 000 at once would need twice its descriptors):
    the status lines counted (or "closed", and "none" for no answer within 120 s), and the seconds
    taken."""
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    data, seen = {}, collections.Counter()
    waiting = list(reversed(held))

    def send_next():
        while waiting:
            s = waiting.pop()
            try:
                s.setblocking(True)
                s.sendall(PING)
            except OSError:
                seen["closed"] += 1
                continue
            s.setblocking(False)
            data[s] = b""
            sel.register(s, selectors.EVENT_READ)
            return

    for _ in range(WINDOW):
        send_next()
    while data and time.monotonic() - t0 < 120:
        for key, _ in sel.select(timeout=5):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            data[s] += chunk
            if chunk and not complete(data[s]):
                continue
            if chunk:
                seen[data[s].split(b" ", 2)[1].decode("iso-8859-1")] += 1
            else:
                seen["closed"] += 1
            sel.unregister(s)
            del data[s]
            send_next()
    seen["none"] += len(data) + len(waiting)
    sel.close()
    return seen, time.monotonic() - t0


def held_then_served(path, steps):
    held, refused = [], 0
    for n in steps:
        while len(held) + refused < n:
            s, st = pinged(path)
            if st.startswith("HTTP/1.1 200"):
                held.append(s)
            else:
                refused += 1
                if s is not None:
                    s.close()
        print("AT %d opened=%d refused=%d" % (n, len(held), refused), flush=True)
        if not sys.stdin.readline():
            break
        seen, secs = served(held)
        statuses = ",".join("%s:%d" % kv for kv in sorted(seen.items()) if kv[1])
        print("SERVED %d answered=%d other=%d statuses=%s seconds=%.1f"
              % (len(held), seen["200"], len(held) - seen["200"], statuses, secs), flush=True)
        if not sys.stdin.readline():
            break
    for s in held:
        s.close()


def flood(path, most):
    held, last = [], ""
    while len(held) < most:
        s, last = pinged(path)
        if not last.startswith("HTTP/1.1 200"):
            if s is not None:
                s.close()
            break
        held.append(s)
    print("held=%d last=%s" % (len(held), last), flush=True)
    sys.stdin.read()
    for s in held:
        s.close()


def loris(path, n, gap, secs):
    head = b"GET /_ping HTTP/1.1\r\nHost: berth\r\nX-Slow: " + b"a" * 100000
    conns = {}
    for k in range(n):
        try:
            conns[k] = connect(path)
            conns[k].setblocking(False)
        except OSError:
            pass
    ended = {}
    sent = 0
    deadline = time.time() + secs
    while time.time() < deadline and len(ended) < len(conns):
        for k, s in conns.items():
            if k in ended:
                continue
            try:
                data = s.recv(65536)
                ended[k] = data.split(b"\r\n")[0].decode("iso-8859-1") if data else "closed"
                continue
            except BlockingIOError:
                pass
            except ConnectionResetError:
                ended[k] = "reset"
                continue
            try:
                s.send(head[sent:sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                ended[k] = "reset"
        sent += 1
        time.sleep(gap)
    statuses = collections.Counter(v for v in ended.values() if v.startswith("HTTP"))
    print("connected=%d answered=%d (%s) closed=%d reset=%d open=%d" % (
        len(conns), sum(statuses.values()),
        ", ".join("%s x%d" % (k[9:], v) for k, v in statuses.items()) or "-",
        list(ended.values()).count("closed"), list(ended.values()).count("reset"),
        len(conns) - len(ended)), flush=True)


def ping(path, secs):
    lat, errors = [], 0
    s = None
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            if s is None:
                s = connect(path)
            t = time.perf_counter()
            s.sendall(PING)
            st = status_line(s, 10)
            if st.startswith("HTTP/1.1 200"):
                lat.append(time.perf_counter() - t)
                continue
        except OSError:
            pass
        errors += 1
        if s is not None:
            s.close()
        s = None
        time.sleep(0.1)
    lat.sort()

    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
    print("n=%d errors=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f" % (
        len(lat), errors, q(0.50), q(0.99), lat[-1] * 1000 if lat else float("nan")), flush=True)


if __name__ == "__main__":
    mode, sock = sys.argv[1], sys.argv[2]
    if mode == "idle":
        idle(sock, [int(a) for a in sys.argv[3:]])
    elif mode == "held":
        held_then_served(sock, [int(a) for a in sys.argv[3:]])
    elif mode == "flood":
        flood(sock, int(sys.argv[3]))
    elif mode == "loris":
        loris(sock, int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    else:
        ping(sock, float(sys.argv[3]))
