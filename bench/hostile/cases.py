"""The hostile requests bench/hostile/run.sh sends, one class of issue 9 each, and what counts as harm.

Every case is raw bytes written to a fresh client connection: alone, and again pipelined behind one good
request (GET /public/good). Routes: /public -> upstream "pub", /admin -> upstream "adm", anything else 404.

A case is *handled* by a proxy when, in both positions,
  - nothing forbidden reached an upstream (see forbidden() below and each case's own check), and
  - the client got an answer (a status, or the connection closed or reset; a hang is not an answer), and
  - that answer is a refusal (4xx, 501 or 505, or closed/reset without a response) or the case allows
    forwarding, in which case the request reached the upstream in a harmless form (what the checks accept),
  - and the good request ahead of it was answered 200 and reached the upstream,
  - and the case's own client-side check (if any) passed.
"""
import base64
import re
from urllib.parse import unquote_to_bytes, urlsplit

SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"
GOOD = "GET /public/good HTTP/1.1\r\nHost: h\r\n\r\n"
WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
WS = ("GET /public/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Version: {v}\r\nSec-WebSocket-Key: {k}\r\n\r\n")


class Case:
    def __init__(self, name, cls, raw, methods=None, refuse_only=False, forbid=None, client=None,
                 followup=False, responses=1, split=False):
        self.name = name
        self.cls = cls
        self.raw = raw
        self.methods = methods or [raw.split(" ", 1)[0]]
        self.refuse_only = refuse_only      # forwarding in any form is not handling it
        self.forbid = forbid                # extra check on each upstream event (and the header names the
                                            # proxy sets on a good request): reason or None
        self.client = client                # extra check on the client's result: reason or None
        self.followup = followup            # after it, fresh clients must get their own answers
        self.responses = responses          # answers a proxy that serves it owes (for reading)
        self.split = split                  # written in pieces, each ending in a CR (its LF starts the next)


    def rule(self):
        """When this case counts as handled, in a few words (the generated table's column)."""
        parts = ["refused" if self.refuse_only else "refused or made harmless"]
        if self.followup:
            parts.append("later clients unaffected")
        if self.forbid:
            parts.append("forwarding headers kept")
        if self.client is not None:
            parts.append("client check")
        return "; ".join(parts)


def header_values(ev, name):
    out = []
    for h in ev.get("headers", []):
        if ":" in h and h.split(":", 1)[0].strip().lower() == name:
            out.append(h.split(":", 1)[1].strip())
    return out


HOST_RE = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?"
                     r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
CTL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def resolutions(target):
    """Every path an origin server might serve for this target: with or without percent-decoding everything,
    with '\\' read as '/', with ';params' dropped from segments (servlet containers), with or without merging
    slashes, dot segments resolved. A request the proxy sent to /public's upstream must not resolve to /admin
    under any of these readings."""
    if not target.startswith("/"):
        try:
            target = urlsplit(target).path or "/"
        except ValueError:
            return set()
    path = target.split("?", 1)[0]
    out = set()
    for decode in (False, True):
        p = unquote_to_bytes(path).decode("latin-1") if decode else path
        for backslash in (False, True):
            q = p.replace("\\", "/") if backslash else p
            for params in (False, True):
                segs = q.split("/")[1:]
                if params:
                    segs = [s.split(";", 1)[0] for s in segs]
                for merge in (False, True):
                    stack = []
                    for s in segs:
                        if merge and s == "":
                            continue
                        if s == ".":
                            continue
                        if s == "..":
                            if stack:
                                stack.pop()
                            continue
                        stack.append(s)
                    out.add("/" + "/".join(stack))
    return out


def valid_ws(ev):
    if ev["method"] != "GET" or ev["version"] != "HTTP/1.1":
        return False
    if not any("upgrade" in v.lower() for v in header_values(ev, "connection")):
        return False
    if header_values(ev, "sec-websocket-key1") or header_values(ev, "sec-websocket-key2"):
        return False
    if header_values(ev, "sec-websocket-version") != ["13"]:
        return False
    keys = header_values(ev, "sec-websocket-key")
    if len(keys) != 1:
        return False
    try:
        return len(base64.b64decode(keys[0], validate=True)) == 16
    except ValueError:
        return False


def forbidden(ev):
    """Harm any case can do, judged on one upstream event: a reason, or None."""
    if ev["ev"] == "garbage":
        return "the upstream read bytes that are not a request (%s): %r" % (ev["why"], ev["bytes"][:60])
    if ev["ev"] == "aborted" and "smuggled" in ev.get("partial", ""):
        return "a smuggled request was left in a body the upstream was still reading"
    t = ev["target"]
    if "smuggled" in t:
        return "smuggled request parsed as its own: %s %s" % (ev["method"], t)
    if ev["label"].endswith("-pub") and any(r == "/admin" or r.startswith("/admin/") for r in resolutions(t)):
        return "routed by /public, the upstream may resolve %s to /admin" % t
    if "%00" in t or CTL.search(t) or " " in t:
        return "NUL, control byte or space in the forwarded target %r" % t
    if ev["method"] == "CONNECT" or (t == "*" and ev["method"] != "OPTIONS"):
        return "%s %s forwarded" % (ev["method"], t)
    if ev["version"] not in ("HTTP/1.1", "HTTP/1.0"):
        return "forwarded as %s" % ev["version"]
    if not t.startswith("/") and t != "*":
        if not t.lower().startswith(("http://", "https://")):
            return "absolute-form of another scheme forwarded: %s" % t
        try:
            auth = urlsplit(t).netloc
        except ValueError:
            auth = "?"
        hosts = header_values(ev, "host")
        if "@" in auth or hosts != [auth]:
            return "absolute-form %s forwarded with Host %s" % (t, hosts)
    for h in ev["headers"]:
        if h[:1] in (" ", "\t"):
            return "obs-fold line forwarded: %r" % h
        name = h.split(":", 1)[0]
        if "_" in name:
            return "underscore header forwarded: %r" % h
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            return "malformed header name forwarded: %r" % h
        if CTL.search(h):
            return "control byte forwarded in %r" % h
    hosts = header_values(ev, "host")
    if ev["version"] == "HTTP/1.1" and len(hosts) != 1:
        return "forwarded with %d Host headers" % len(hosts)
    for v in hosts + header_values(ev, "x-forwarded-host"):
        port = v.rsplit(":", 1)[1] if re.search(r":[0-9]+$", v) else "0"
        if not HOST_RE.match(v) or int(port) > 65535 or v.lower().startswith("evil.example"):
            return "Host or X-Forwarded-Host forwarded as %r" % v
    cls = header_values(ev, "content-length")
    tes = header_values(ev, "transfer-encoding")
    if len(cls) > 1 or any(not c.isdigit() for c in cls):
        return "Content-Length forwarded as %s" % cls
    if tes and ev["version"] == "HTTP/1.0":
        return "Transfer-Encoding forwarded on an HTTP/1.0 request (an HTTP/1.0 server does not know chunked)"
    if tes and (cls or [t.lower() for t in tes] != ["chunked"]):
        return "framing forwarded as Transfer-Encoding %s, Content-Length %s" % (tes, cls)
    if header_values(ev, "upgrade") and not valid_ws(ev):
        return "an Upgrade that is not a valid RFC 6455 handshake forwarded"
    for v in header_values(ev, "x-real-ip"):
        if v != "127.0.0.1":
            return "X-Real-IP forwarded as %s" % v
    xff = ", ".join(header_values(ev, "x-forwarded-for"))
    if xff and xff.split(",")[-1].strip() != "127.0.0.1":
        return "X-Forwarded-For forwarded as %r (the peer not appended)" % xff
    if "https" in [v.lower() for v in header_values(ev, "x-forwarded-proto")]:
        return "the client's X-Forwarded-Proto: https forwarded"
    if "443" in header_values(ev, "x-forwarded-port"):
        return "the client's X-Forwarded-Port: 443 forwarded"
    if any("6.6.6.6" in v for v in header_values(ev, "forwarded")):
        return "the client's Forwarded: for=6.6.6.6 forwarded"
    bad = [tr for tr in ev.get("trailers", []) if "_" in tr.split(":", 1)[0] or
           tr.split(":", 1)[0].strip().lower() in TRAILER_FORBIDDEN or tr.lower().startswith("x-forwarded-")]
    if bad:
        return "trailer fields forwarded: %s" % ", ".join(repr(t) for t in bad)
    return None


# Fields RFC 9110 6.5.1 says cannot be processed outside the header section (framing, routing, connection
# control) and the ones the proxy vouches for: in a trailer they reach an upstream that merges trailers into
# headers without any of the proxy's checks.
TRAILER_FORBIDDEN = {"host", "content-length", "transfer-encoding", "connection", "upgrade", "x-real-ip", "forwarded"}

FORWARDING = ("host", "x-real-ip", "x-forwarded-for", "x-forwarded-host")


def stripped_forwarding(ev, baseline):
    """The client named in Connection headers the proxy sets: the upstream must still get every one of them that
    the proxy sets on an ordinary request (else it takes the proxy's address for the client's, or loses the host)."""
    if ev["ev"] != "request":
        return None
    names = {h.split(":", 1)[0].strip().lower() for h in ev["headers"] if ":" in h}
    missing = [n for n in FORWARDING if n in baseline and n not in names]
    return "the proxy's own %s removed because the client named them in Connection" % ", ".join(missing) if missing else None


def no_status(code):
    def check(result):
        return "answered %s" % code if result == str(code) else None
    return check


def build():
    c = []
    F = "framing"
    c += [
        Case("CL then TE, body holds a request", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Case("TE then CL covering a request", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Case("TE other than chunked (gzip)", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n" + SMUGGLED),
        Case("TE list ending in chunked (gzip, chunked)", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Case("TE twice", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Case("TE: xchunked beside CL", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Case("TE on HTTP/1.0", F,
             "POST /public/x HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Case("two different Content-Lengths", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 35\r\n\r\n" + SMUGGLED),
        Case("Content-Length list (35, 35)", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 35, 35\r\n\r\n" + SMUGGLED),
        Case("signed Content-Length (+35)", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: +35\r\n\r\n" + SMUGGLED),
        Case("Content-Length named in Connection", F,
             "POST /public/upload HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Content-Length\r\nContent-Length: 35\r\n\r\n" + SMUGGLED),
        Case("CL then TE, written in pieces split between CR and LF", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
             split=True),
        Case("space before the colon (Transfer-Encoding : chunked)", F,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
    ]
    O = "obs-fold"
    c += [
        Case("obs-fold hiding Transfer-Encoding in another header", O,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\nX-Fold: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Case("obs-fold of the Transfer-Encoding value", O,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
        Case("obs-fold written in pieces split between CR and LF", O,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\nX-Fold: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
             split=True),
        Case("folded first header line", O,
             "POST /public/x HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: h\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + SMUGGLED),
    ]
    C = "control bytes"
    c += [
        Case("control byte (0x01) in the target", C, "GET /public/a\x01b HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("NUL in a header value", C, "GET /public/x HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n"),
        Case("bare CR inside a header line", C, "GET /public/x HTTP/1.1\r\nHost: h\r\nX-A: a\rTransfer-Encoding: chunked\r\n\r\n"),
        Case("tab as the request-line separator", C, "GET\t/public/x HTTP/1.1\r\nHost: h\r\n\r\n", methods=["GET"]),
        Case("vertical tab before chunked, beside CL", C,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
    ]
    V = "bad versions"
    c += [
        Case("HTTP/2.0 on HTTP/1 framing", V, "GET /public/x HTTP/2.0\r\nHost: h\r\n\r\n", refuse_only=True),
        Case("HTTP/1.2", V, "GET /public/x HTTP/1.2\r\nHost: h\r\n\r\n"),
        Case("lower-case http/1.1", V, "GET /public/x http/1.1\r\nHost: h\r\n\r\n"),
        Case("HTTP/1.10", V, "GET /public/x HTTP/1.10\r\nHost: h\r\n\r\n"),
    ]
    H = "Host forms"
    c += [
        Case("userinfo in Host (t:@evil.example)", H, "GET /public/x HTTP/1.1\r\nHost: t:@evil.example\r\n\r\n"),
        Case("space in Host", H, "GET /public/x HTTP/1.1\r\nHost: a b\r\n\r\n"),
        Case("path in Host (t/../x)", H, "GET /public/x HTTP/1.1\r\nHost: t/../x\r\n\r\n"),
        Case("backslash in Host", H, "GET /public/x HTTP/1.1\r\nHost: h\\evil.example\r\n\r\n"),
        Case("two Host headers", H, "GET /public/x HTTP/1.1\r\nHost: h\r\nHost: evil.example\r\n\r\n"),
        Case("no Host on HTTP/1.1", H, "GET /public/x HTTP/1.1\r\nX-A: b\r\n\r\n"),
        Case("port out of range in Host", H, "GET /public/x HTTP/1.1\r\nHost: h:99999\r\n\r\n"),
    ]
    A = "absolute-form"
    c += [
        Case("absolute-form with userinfo", A, "GET http://u:p@h/public/x HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("absolute-form of another scheme (ftp)", A, "GET ftp://h/public/x HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("absolute-form authority unlike Host", A, "GET http://other.example/public/x HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("absolute-form with dot segments to /admin", A, "GET http://h/public/../admin/x HTTP/1.1\r\nHost: h\r\n\r\n"),
    ]
    K = "CONNECT, asterisk"
    c += [
        Case("CONNECT", K, "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", refuse_only=True),
        Case("asterisk-form GET", K, "GET * HTTP/1.1\r\nHost: h\r\n\r\n", refuse_only=True),
        Case("OPTIONS * (the one legal asterisk)", K, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"),
    ]
    P = "path traversal, encodings"
    c += [
        Case("dot segments (/public/../admin)", P, "GET /public/../admin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("encoded dot segments (%2e%2e)", P, "GET /public/%2e%2e/admin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("half-encoded dot segment (.%2E)", P, "GET /public/.%2E/admin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("encoded slash after dots (..%2f)", P, "GET /public/..%2fadmin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("all encoded (%2e%2e%2f)", P, "GET /public/%2e%2e%2fadmin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("encoded backslash (..%5c)", P, "GET /public/..%5cadmin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("raw backslash (..\\)", P, "GET /public/..\\admin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("dot segment with parameters (..;/)", P, "GET /public/..;/admin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("double slash before dots (//..)", P, "GET /public//../admin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("fragment with dot segments (#/../../admin)", P, "GET /public/x#/../../admin HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("encoded NUL (%00)", P, "GET /public/a%00.txt HTTP/1.1\r\nHost: h\r\n\r\n"),
        Case("dots above the root (/../admin)", P, "GET /../admin HTTP/1.1\r\nHost: h\r\n\r\n"),
    ]
    W = "WebSocket handshakes"
    c += [
        Case("draft Key1/Key2 with its 8-byte body", W,
             "GET /public/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n"
             "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n^n:ds[4U" + SMUGGLED),
        Case("upgrade on POST", W, WS.format(v=13, k=WS_KEY).replace("GET", "POST", 1).replace("\r\n\r\n", "\r\nContent-Length: 0\r\n\r\n")),
        Case("WebSocket version 8", W, WS.format(v=8, k=WS_KEY)),
        Case("key of 4 bytes", W, WS.format(v=13, k="AAAAAA==")),
        Case("upgrade over HTTP/1.0", W, WS.format(v=13, k=WS_KEY).replace("HTTP/1.1", "HTTP/1.0", 1)),
        Case("two Sec-WebSocket-Keys", W, WS.format(v=13, k=WS_KEY).replace("\r\n\r\n", "\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n")),
        Case("Upgrade: h2c (not WebSocket)", W,
             "GET /public/x HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
        Case("valid handshake declined by the upstream, then GET /admin/x", W,
             WS.format(v=13, k=WS_KEY).replace("/public/ws", "/public/ws-decline") + "GET /admin/x HTTP/1.1\r\nHost: h\r\n\r\n",
             responses=2),
        Case("upstream 101 with a wrong Sec-WebSocket-Accept, then GET /admin/x", W,
             WS.format(v=13, k=WS_KEY).replace("/public/ws", "/public/ws-bad-accept") + "GET /admin/x HTTP/1.1\r\nHost: h\r\n\r\n",
             client=no_status(101), responses=2),
        Case("Upgrade without Connection: upgrade", W, WS.format(v=13, k=WS_KEY).replace("Connection: Upgrade\r\n", "")),
    ]
    U = "underscore headers"
    c += [
        Case("X_Real_IP twin", U, "GET /public/u HTTP/1.1\r\nHost: h\r\nX_Real_IP: 6.6.6.6\r\n\r\n"),
        Case("Content_Length twin", U, "POST /public/u HTTP/1.1\r\nHost: h\r\nContent_Length: 35\r\nContent-Length: 0\r\n\r\n"),
    ]
    X = "X-Forwarded-* spoofing"
    c += [
        Case("X-Real-IP from the client", X, "GET /public/f HTTP/1.1\r\nHost: h\r\nX-Real-IP: 6.6.6.6\r\n\r\n"),
        Case("X-Forwarded-For from the client", X, "GET /public/f HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"),
        Case("X-Forwarded-Proto/-Host/-Port from the client", X,
             "GET /public/f HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Port: 443\r\n\r\n"),
        Case("Forwarded from the client", X, "GET /public/f HTTP/1.1\r\nHost: h\r\nForwarded: for=6.6.6.6;proto=https\r\n\r\n"),
    ]
    c += [
        Case("Connection naming the forwarding headers", X,
             "GET /public/f HTTP/1.1\r\nHost: h\r\nConnection: close, X-Real-IP, X-Forwarded-For, X-Forwarded-Host, Host\r\n\r\n",
             forbid=stripped_forwarding),
    ]
    L = "too many headers"
    c += [
        Case("101 header fields", L, "GET /public/x HTTP/1.1\r\nHost: h\r\n" + "X-N: v\r\n" * 100 + "\r\n", refuse_only=True),
    ]
    B = "bad chunk framing"
    c += [
        Case("junk in a chunk size (5x)", B,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
        Case("junk after chunk data", B,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n" + SMUGGLED),
        Case("chunk size overflowing 64 bits", B,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
        Case("trailers carrying Host, X-Real-IP and an underscore name", B,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
             "Host: evil.example\r\nX-Real-IP: 6.6.6.6\r\nX_Forwarded_For: 6.6.6.6\r\nContent-Length: 35\r\n\r\n"),
        Case("chunk extension with a bare LF", B,
             "POST /public/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
    ]
    R = "upstream answers"
    c += [
        Case("upstream answers HEAD with a body", R, "HEAD /public/head-body HTTP/1.1\r\nHost: h\r\n\r\n", followup=True),
        Case("upstream sends bytes past Content-Length", R, "GET /public/extra-bytes HTTP/1.1\r\nHost: h\r\n\r\n", followup=True),
        Case("upstream frames its answer with CL and chunked", R, "GET /public/resp-cl-te HTTP/1.1\r\nHost: h\r\n\r\n", followup=True),
        Case("upstream answers with two different Content-Lengths", R, "GET /public/resp-two-cl HTTP/1.1\r\nHost: h\r\n\r\n",
             followup=True),
        Case("upstream answers 204 with a body", R, "GET /public/resp-204-body HTTP/1.1\r\nHost: h\r\n\r\n", followup=True),
        Case("upstream sends 100 Continue before its answer", R, "GET /public/resp-100 HTTP/1.1\r\nHost: h\r\n\r\n", followup=True,
             client=lambda st: None if st == "200" else "answered %s" % st),
        Case("upstream sends 103 Early Hints before its answer", R, "GET /public/resp-103 HTTP/1.1\r\nHost: h\r\n\r\n", followup=True,
             client=lambda st: None if st == "200" else "answered %s" % st),
        Case("upstream answers 101 to a plain GET", R, "GET /public/upgrade-101 HTTP/1.1\r\nHost: h\r\n\r\n", followup=True,
             client=no_status(101)),
    ]
    return c


CLASSES = ["framing", "obs-fold", "control bytes", "bad versions", "Host forms", "absolute-form", "CONNECT, asterisk",
           "path traversal, encodings", "WebSocket handshakes", "underscore headers", "X-Forwarded-* spoofing",
           "too many headers", "bad chunk framing", "upstream answers"]
