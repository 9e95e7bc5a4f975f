#!/usr/bin/env python3
"""Recording upstream for bench/hostile/run.sh.

Listens on one or more ports (each with a label such as "nginx-pub") and parses every request itself,
the way a plain origin server does: request line, header lines as received, a body framed by
Transfer-Encoding: chunked (when the header's last coding is chunked) or else by Content-Length, then
keep-alive for the next request on the same connection. It logs what it parsed, one JSON object per
line, to LOGDIR/<proxy>.jsonl (the label's part before the first '-'):

  {"ev": "request", ...}  a complete request: method, target, version, raw header lines, body, trailer lines
  {"ev": "aborted", ...}  a head whose body never completed before the connection closed
  {"ev": "garbage", ...}  bytes that are not a request (bad request line, header line without a colon,
                          bad chunk framing, or a partial head left when the connection closed)

It answers each request "200 ok METHOD TARGET" with a Content-Length, except for a few paths that make it
misbehave on purpose: ".../head-body" answers HEAD with a body anyway, ".../extra-bytes" sends bytes past its
Content-Length, ".../upgrade-101" answers 101 to a request that asked for no upgrade, ".../resp-cl-te" frames
its answer with both Content-Length and chunked, ".../resp-204-body" sends a body with a 204, ".../resp-two-cl"
sends two different Content-Lengths, ".../resp-100" sends a 100 Continue first, ".../resp-103" a 103 Early
Hints first, ".../ws-bad-accept" answers a handshake 101 with a wrong Sec-WebSocket-Accept, ".../ws-decline"
answers a handshake 403. Every request with Upgrade is otherwise answered 200 (declined).

A control port takes one line per connection: "RESET <proxy>" closes every connection of that proxy's
listeners (logging what was left unparsed), then answers "ok".
"""
import argparse
import json
import os
import socket
import threading

LOCK = threading.Lock()
CONNS = {}  # id -> (label, socket)
NEXT_ID = [0]
LOGDIR = "."


def log(label, obj):
    proxy = label.split("-", 1)[0]
    obj["label"] = label
    line = json.dumps(obj, ensure_ascii=True)
    with LOCK:
        with open(os.path.join(LOGDIR, proxy + ".jsonl"), "a", encoding="ascii") as f:
            f.write(line + "\n")


def text(b):
    return b.decode("latin-1")


class Closed(Exception):
    pass


class Conn:
    def __init__(self, sock, label, cid):
        self.sock = sock
        self.label = label
        self.cid = cid
        self.buf = b""
        self.seq = 0
        self.in_body = None  # the head being read when the body is incomplete

    def fill(self):
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            raise Closed()
        self.buf += data

    def line(self, limit=65536):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                ln = self.buf[:i]
                self.buf = self.buf[i + 1:]
                return ln[:-1] if ln.endswith(b"\r") else ln
            if len(self.buf) > limit:
                raise ValueError("line too long")
            self.fill()

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out = self.buf[:n]
        self.buf = self.buf[n:]
        return out

    def garbage(self, why, extra=b""):
        log(self.label, {"ev": "garbage", "conn": self.cid, "why": why, "bytes": text(extra + self.buf)[:400]})

    def serve(self):
        try:
            while True:
                if not self.buf:
                    self.fill()
                if not self.one():
                    break
        except Closed:
            if self.in_body is not None:
                h = self.in_body
                log(self.label, {"ev": "aborted", "conn": self.cid, "seq": self.seq, "method": h["method"],
                                 "target": h["target"], "version": h["version"], "headers": h["headers"],
                                 "partial": text(self.buf)[:400]})
            elif self.buf.strip(b"\r\n"):
                self.garbage("partial head at close")
        finally:
            with LOCK:
                CONNS.pop(self.cid, None)
            try:
                self.sock.close()
            except OSError:
                pass

    def one(self):
        # Empty lines before a request line are allowed (RFC 9112 2.2).
        while True:
            rl = self.line()
            if rl:
                break
        parts = rl.split(b" ")
        if len(parts) != 3 or not parts[0] or not parts[2].startswith(b"HTTP/"):
            self.garbage("bad request line", rl + b"\n")
            self.reply(400, "bad request line", close=True)
            return False
        method, target, version = (text(p) for p in parts)
        headers = []
        while True:
            hl = self.line()
            if not hl:
                break
            headers.append(text(hl))
        for h in headers:
            if ":" not in h and not h[:1] in (" ", "\t"):
                self.garbage("header line without a colon", rl + b"\n")
                self.reply(400, "bad header", close=True)
                return False
        head = {"method": method, "target": target, "version": version, "headers": headers}

        def values(name):
            return [h.split(":", 1)[1].strip() for h in headers if ":" in h and h.split(":", 1)[0].strip().lower() == name]

        te = ",".join(values("transfer-encoding")).lower()
        cl = values("content-length")
        self.in_body = head
        body = b""
        trailers = []
        if te and te.split(",")[-1].strip() == "chunked":
            while True:
                size_line = self.line()
                size_txt = text(size_line).split(";", 1)[0].strip()
                try:
                    size = int(size_txt, 16)
                except ValueError:
                    self.garbage("bad chunk size", size_line + b"\n")
                    self.reply(400, "bad chunk", close=True)
                    return False
                if size == 0:
                    while True:
                        tl = self.line()
                        if not tl:
                            break
                        trailers.append(text(tl))
                    break
                body += self.exact(size)
                if self.exact(2) not in (b"\r\n",):
                    self.garbage("no CRLF after chunk data")
                    self.reply(400, "bad chunk", close=True)
                    return False
        elif cl:
            try:
                n = int(cl[0].split(",")[0].strip())
            except ValueError:
                n = 0
            if n > 0:
                body = self.exact(n)
        self.in_body = None
        self.seq += 1
        log(self.label, {"ev": "request", "conn": self.cid, "seq": self.seq, "method": method, "target": target,
                         "version": version, "headers": headers, "body": text(body)[:2000], "trailers": trailers})
        conn_tokens = ",".join(values("connection")).lower()
        close = "close" in conn_tokens or version == "HTTP/1.0"
        path = target.split("?", 1)[0]
        if path.endswith("/upgrade-101"):
            self.sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            return self.hold()
        msg = "ok " + method + " " + target
        if path.endswith("/ws-bad-accept"):
            self.sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              b"Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBhY2NlcHQ=\r\n\r\n")
            return self.hold()
        if path.endswith("/ws-decline"):
            self.reply(403, msg, close=close)
        elif path.endswith("/resp-cl-te"):
            body = msg.encode() + b"\n"
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
                      % (len(body), body))
        elif path.endswith("/resp-two-cl"):
            body = msg.encode() + b"\n"
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Length: %d\r\n\r\n%sHTTP/1.1 200 OK\r\n"
                      b"Content-Length: 6\r\n\r\nextra!" % (len(body), len(body) + 44, body))
        elif path.endswith("/resp-204-body"):
            self.send(b"HTTP/1.1 204 No Content\r\nContent-Length: 6\r\n\r\nextra!")
        elif path.endswith("/resp-100"):
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.reply(200, msg, close=close)
        elif path.endswith("/resp-103"):
            self.send(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
            self.reply(200, msg, close=close)
        elif path.endswith("/head-body"):
            self.reply(200, msg, close=close, body_anyway=True)
        elif path.endswith("/extra-bytes"):
            self.reply(200, msg, close=close, extra=b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nextra!")
        else:
            self.reply(200, msg, close=close, head=method == "HEAD")
        return not close

    def hold(self):
        # After a 101 that nobody asked for, keep the connection and log anything else that arrives as garbage.
        try:
            while True:
                self.fill()
        except Closed:
            if self.buf:
                self.garbage("bytes after an unrequested 101")
            self.buf = b""
            raise

    def send(self, out):
        try:
            self.sock.sendall(out)
        except OSError:
            raise Closed()

    def reply(self, status, msg, close=False, head=False, body_anyway=False, extra=b""):
        body = msg.encode("latin-1", "replace") + b"\n"
        reason = {200: "OK", 400: "Bad Request", 403: "Forbidden"}.get(status, "X")
        h = "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % (status, reason, len(body))
        if close:
            h += "Connection: close\r\n"
        out = h.encode() + b"\r\n"
        if not head or body_anyway:
            out += body
        out += extra
        try:
            self.sock.sendall(out)
        except OSError:
            raise Closed()


def listener(label, port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(128)
    while True:
        s, _ = srv.accept()
        with LOCK:
            NEXT_ID[0] += 1
            cid = NEXT_ID[0]
            CONNS[cid] = (label, s)
        threading.Thread(target=Conn(s, label, cid).serve, daemon=True).start()


def control(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    while True:
        s, _ = srv.accept()
        with s:
            cmd = s.makefile("rb").readline().decode().split()
            if len(cmd) == 2 and cmd[0] == "RESET":
                with LOCK:
                    victims = [sock for (label, sock) in CONNS.values() if label.split("-", 1)[0] == cmd[1]]
                for v in victims:
                    try:
                        v.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            s.sendall(b"ok\n")


def main():
    global LOGDIR
    p = argparse.ArgumentParser()
    p.add_argument("--logdir", required=True)
    p.add_argument("--control", type=int, required=True)
    p.add_argument("listen", nargs="+", help="label=port")
    a = p.parse_args()
    LOGDIR = a.logdir
    for spec in a.listen:
        label, port = spec.split("=")
        threading.Thread(target=listener, args=(label, int(port)), daemon=True).start()
    print("upstream ready", flush=True)
    control(a.control)


if __name__ == "__main__":
    main()
