#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A peer of the QSeqpacket message protocol (docs/protocol.md) written without the library.

    protocolpeer.py ADDRESS SCENARIO [ARGUMENT]

ADDRESS is "@name" (an abstract name) or a path. The peer connects with a plain
socket.socket(AF_UNIX, SOCK_SEQPACKET), sends and receives with sendmsg()/recvmsg() and SCM_RIGHTS,
decodes the frames it receives with cbor2 (an independent CBOR decoder) and encodes its own with
cbor2 or by hand (the hostile ones). Large frames travel in memfds sealed here with fcntl().

tst_channel_protocol starts it with QProcess. Every scenario first waits for the message "go"
(its body, a map, may carry parameters), and last for the message "end"; it prints what it saw as
JSON lines on stdout ({"event": ...}) and exits 0. A check that fails prints
{"event": "fail", "what": ...} and exits 1; a missing cbor2 exits 3.
"""

import array
import errno
import fcntl
import json
import os
import select
import socket
import sys
import termios
import time

try:
    import cbor2
except ImportError as error:  # the test fails on this: python3-cbor2 is a dependency
    print(json.dumps({"event": "fail", "what": "cannot import cbor2 (%s): install python3-cbor2 "
                      "(bash scripts/install-deps.sh)" % error}), flush=True)
    sys.exit(3)

# fcntl(2) and memfd_create(2); Python's fcntl module has these only from 3.8/3.9 on some builds.
F_ADD_SEALS = 1033
F_GET_SEALS = 1034
F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE = 1, 2, 4, 8
F_SEAL_FUTURE_WRITE = 16
ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
SO_SNDBUFFORCE = 32

MESSAGE, REQUEST, REPLY, ERROR_REPLY, SPILLED = range(5)

TIMEOUT = 30.0
# The largest packet the kernel delivers (about 4 MiB, whatever SO_SNDBUF says): the receive buffer.
RECEIVE_BUFFER = (4 << 20) + (256 << 10)
MAX_DESCRIPTORS = 253


# ---- output -------------------------------------------------------------------------------------

def report(event, **fields):
    fields = dict(event=event, **fields)
    print(json.dumps(fields, sort_keys=True), flush=True)


def fail(what):
    report("fail", what=what)
    sys.exit(1)


def check(condition, what):
    if not condition:
        fail(what)


# ---- bodies ------------------------------------------------------------------------------------

def pattern(size, seed=0):
    """size bytes, byte i being (i + seed) % 251: what the test's pattern() makes."""
    period = bytes((i + seed) % 251 for i in range(251))
    return (period * (size // 251 + 1))[:size]


def nested(depth, core):
    value = core
    for _ in range(depth):
        value = [value]
    return value


# The bodies of every CBOR kind that go both ways in the "messages" scenario: (name, value[, what
# the library sends for it]); the test has the same table (tst_channel_protocol.cpp, cborKinds()).
# The library's encoding of each must be what cbor2 makes of the decoded value, byte for byte
# (minimal CBOR). undefined is the one value the library does not send as it is: a QCborValue()
# body is "no body", sent as null (docs/protocol.md); the other way it arrives as undefined.
CBOR_KINDS = [
    ("null", None),
    ("true", True),
    ("false", False),
    ("zero", 0),
    ("uint8", 24),
    ("uint16", 1000),
    ("uint32", 100000),
    ("uint64", 2 ** 40),
    ("int64 max", 2 ** 63 - 1),
    ("negative", -1),
    ("negative16", -1000),
    ("int64 min", -2 ** 63),
    ("double", 3.25),
    ("text", "grüße, 世界"),
    ("empty text", ""),
    ("bytes", b"\x00\x01\xff binary"),
    ("empty bytes", b""),
    ("array", [1, "two", [3.5, None]]),
    ("map", {"a": 1, 2: "b", "nested": {"x": True}}),
    ("tagged", cbor2.CBORTag(22, b"tagged")),
    ("undefined", cbor2.undefined, None),
    ("simple", cbor2.CBORSimpleValue(16)),
    ("100 levels", nested(100, "core")),
]


def minimal_envelope(frame_type, frame_id, name):
    return b"\x84" + cbor2.dumps(frame_type) + cbor2.dumps(frame_id) + cbor2.dumps(name)


# ---- descriptors ------------------------------------------------------------------------------

def make_memfd(content, seals=ALL_SEALS, allow_sealing=True):
    fd = os.memfd_create("protocolpeer", os.MFD_CLOEXEC | (os.MFD_ALLOW_SEALING if allow_sealing else 0))
    view = memoryview(content)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    if seals:
        fcntl.fcntl(fd, F_ADD_SEALS, seals)
    return fd


def content_of(fd):
    size = os.fstat(fd).st_size
    chunks = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, min(size - offset, 1 << 20), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def seals_of(fd):
    return fcntl.fcntl(fd, F_GET_SEALS)


def closed_elsewhere(read_end, timeout=5.0):
    """True once every write end of the pipe but ours is closed: the receiver closed its copy."""
    poller = select.poll()
    poller.register(read_end, select.POLLIN | select.POLLHUP)
    deadline = time.monotonic() + timeout
    while True:
        for _, mask in poller.poll(max(0, int((deadline - time.monotonic()) * 1000))):
            if mask & select.POLLHUP:
                return True
        if time.monotonic() >= deadline:
            return False


def read_end_closed(write_end, timeout=5.0):
    """True once the pipe's read end (sent away) is closed everywhere: POLLERR on the write end."""
    poller = select.poll()
    poller.register(write_end, select.POLLOUT)
    deadline = time.monotonic() + timeout
    while True:
        for _, mask in poller.poll(100):
            if mask & select.POLLERR:
                return True
        if time.monotonic() >= deadline:
            return False


def bytes_in_pipe(fd):
    buffer = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, buffer)
    return buffer[0]


class Tracer:
    """Pipes whose write ends go with frames: once the receiver has closed its copies (and the
    peer its own, release()), the read ends here see POLLHUP."""

    def __init__(self):
        self.read_ends = []
        self.write_ends = []

    def write_end(self):
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        self.read_ends.append(read_end)
        self.write_ends.append(write_end)
        return write_end

    def release(self):
        """Closes the peer's copies of the write ends (once they are sent)."""
        for fd in self.write_ends:
            os.close(fd)
        self.write_ends = []

    def all_closed(self):
        self.release()
        result = all(closed_elsewhere(fd) for fd in self.read_ends)
        for fd in self.read_ends:
            os.close(fd)
        self.read_ends = []
        return result


# ---- frames -----------------------------------------------------------------------------------

class Frame:
    def __init__(self, frame_type, frame_id, name, body, fds, raw, spilled=None):
        self.type = frame_type
        self.id = frame_id
        self.name = name
        self.body = body
        self.fds = fds          # the frame's own descriptors (a spill's memfd is not among them)
        self.raw = raw          # the encoded frame: the packet's payload, or the memfd's content
        self.spilled = spilled  # for a spilled frame: {"size", "seals", "outer"}

    def close(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = []

    def describe(self):
        return "[%d, %d, %r, %s] with %d descriptors" % (self.type, self.id, self.name,
                                                         short(self.body), len(self.fds))


def short(value):
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def decode_envelope(data, where):
    """The four items of a frame, checked the way the protocol says they are."""
    try:
        items = cbor2.loads(data)
    except Exception as error:  # noqa: BLE001 (cbor2 raises several kinds)
        fail("%s: cbor2 cannot decode %s...: %s" % (where, data[:32].hex(), error))
    check(isinstance(items, list) and len(items) == 4, "%s: not an array of 4: %s" % (where, short(items)))
    check(data[0] == 0x84, "%s: the array is not of definite length 4 in one byte: %02x" % (where, data[0]))
    frame_type, frame_id, name, body = items
    check(isinstance(frame_type, int) and 0 <= frame_type <= SPILLED, "%s: type %r" % (where, frame_type))
    check(isinstance(frame_id, int) and 0 <= frame_id < 2 ** 64, "%s: id %r" % (where, frame_id))
    check(isinstance(name, str), "%s: name %r is not text" % (where, name))
    # The library writes minimal CBOR: the shortest integers, a definite-length name.
    check(data.startswith(minimal_envelope(frame_type, frame_id, name)),
          "%s: the envelope is not minimal CBOR: %s" % (where, data[:40].hex()))
    return frame_type, frame_id, name, body


class Peer:
    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
        self.sock.connect("\0" + address[1:] if address.startswith("@") else address)
        self.buffer = bytearray(RECEIVE_BUFFER)
        self.queue = []  # frames read while waiting for another
        self.next_id = 1
        self.threshold = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) - 32

    # -- sending --

    def send_raw(self, data, fds=()):
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        while True:
            try:
                return self.sock.sendmsg([data], ancillary)
            except BlockingIOError:
                select.select([], [self.sock], [], TIMEOUT)

    def send_frame(self, frame_type, frame_id, name, body, fds=(), spill=None):
        """Encodes with cbor2; spills into a sealed memfd where one packet cannot carry it."""
        data = cbor2.dumps([frame_type, frame_id, name, body])
        if spill is None:
            spill = len(data) > self.threshold
        if not spill:
            return self.send_raw(data, fds)
        memfd = make_memfd(data)
        try:
            return self.send_raw(cbor2.dumps([SPILLED, len(data), "", None]), [memfd] + list(fds))
        finally:
            os.close(memfd)

    def send_message(self, name, body=None, fds=()):
        self.send_frame(MESSAGE, 0, name, body, fds)

    def request(self, name, body=None, fds=(), frame_id=None):
        if frame_id is None:
            frame_id = self.next_id
            self.next_id += 1
        self.send_frame(REQUEST, frame_id, name, body, fds)
        return frame_id

    # -- receiving --

    def read_packet(self, timeout=TIMEOUT):
        """(payload, descriptors) of the next packet, None where none came within timeout."""
        readable, _, _ = select.select([self.sock], [], [], timeout)
        if not readable:
            return None
        size, ancillary, flags, _ = self.sock.recvmsg_into(
            [self.buffer], socket.CMSG_SPACE(MAX_DESCRIPTORS * 4), socket.MSG_CMSG_CLOEXEC)
        fds = []
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.extend(array.array("i", data[:len(data) - len(data) % 4]))
        check(not flags & socket.MSG_TRUNC, "a packet larger than %d bytes" % len(self.buffer))
        check(not flags & socket.MSG_CTRUNC, "descriptors were cut")
        check(size > 0 or ancillary, "the connection ended")
        return bytes(self.buffer[:size]), fds

    def read_frame(self, timeout=TIMEOUT):
        """The next frame from the socket, following a spill into its memfd (whose seals and size
        are checked first); None where none came within timeout."""
        packet = self.read_packet(timeout)
        if packet is None:
            return None
        data, fds = packet
        frame_type, frame_id, name, body = decode_envelope(data, "a packet")
        if frame_type != SPILLED:
            return Frame(frame_type, frame_id, name, body, fds, data)
        # [4, size, "", null] and the memfd first: sealed, exactly size bytes.
        check(data == cbor2.dumps([SPILLED, frame_id, "", None]), "spill packet %s" % data.hex())
        check(fds, "a spilled frame without its memfd")
        memfd = fds.pop(0)
        try:
            seals = seals_of(memfd)
            check(seals & ALL_SEALS == ALL_SEALS, "the spill memfd has the seals %d, not all of %d" % (seals, ALL_SEALS))
            actual = os.fstat(memfd).st_size
            check(actual == frame_id, "the spill memfd holds %d bytes, the packet says %d" % (actual, frame_id))
            inner = content_of(memfd)
        finally:
            os.close(memfd)
        check(len(inner) == frame_id, "read %d of the spill's %d bytes" % (len(inner), frame_id))
        frame_type, inner_id, name, body = decode_envelope(inner, "a spilled frame")
        check(frame_type != SPILLED, "a spill inside a spill")
        return Frame(frame_type, inner_id, name, body, fds, inner,
                     spilled={"size": frame_id, "seals": seals, "outer": data.hex()})

    def next_frame(self, timeout=TIMEOUT):
        """The next frame: one set aside by wait_for(), else one from the socket (or a failure)."""
        if self.queue:
            return self.queue.pop(0)
        frame = self.read_frame(timeout)
        check(frame is not None, "nothing came within %.0f s" % timeout)
        return frame

    def wait_for(self, accept, what, timeout=TIMEOUT):
        """The first frame that accept() takes; the others are set aside, in order."""
        for index, frame in enumerate(self.queue):
            if accept(frame):
                return self.queue.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            frame = self.read_frame(max(0.0, deadline - time.monotonic()))
            check(frame is not None, "no %s within %.0f s" % (what, timeout))
            if accept(frame):
                return frame
            self.queue.append(frame)

    def wait_message(self, name, timeout=TIMEOUT):
        return self.wait_for(lambda f: f.type == MESSAGE and f.name == name, "message %r" % name, timeout)

    def wait_request(self, name, timeout=TIMEOUT):
        return self.wait_for(lambda f: f.type == REQUEST and f.name == name, "request %r" % name, timeout)

    def wait_answer(self, frame_id, timeout=TIMEOUT):
        return self.wait_for(lambda f: f.type in (REPLY, ERROR_REPLY) and f.id == frame_id,
                             "answer to request %d" % frame_id, timeout)

    def reply(self, request, body=None, fds=()):
        self.send_frame(REPLY, request.id, "", body, fds)

    def reply_error(self, request, name, body=None, fds=()):
        self.send_frame(ERROR_REPLY, request.id, name, body, fds)

    def go(self):
        """Waits for the test's "go"; returns its body (parameters), a map."""
        frame = self.wait_message("go")
        return frame.body if isinstance(frame.body, dict) else {}

    def end(self):
        """Waits for the test's "end" and says "done" (the scenario is over: the peer exits)."""
        self.wait_message("end")
        report("done")


# ---- scenarios: what works ---------------------------------------------------------------------

def scenario_messages(peer, _argument):
    """Messages both ways: a body of every kind, descriptors, encodings the library must accept."""
    peer.go()
    for name, value, *_ in CBOR_KINDS:
        peer.send_message("kind:" + name, value)
    first, second = make_memfd(b"first file", 0), make_memfd(b"second file", 0)
    peer.send_message("files", "two", [first, second])
    os.close(first)
    os.close(second)
    # Any valid encoding of the items: non-minimal integers, a chunked name, a non-minimal body.
    peer.send_raw(bytes.fromhex("84" "1800" "1a00000000" "7f" "646e6f6e2d" "676d696e696d616c" "ff" "190001"))
    # A message whose id is not 0: lenient where nothing is at stake (docs/protocol.md).
    peer.send_frame(MESSAGE, 42, "with an id", None)
    report("sent", count=len(CBOR_KINDS) + 3)

    checked = []
    for name, value, *back in CBOR_KINDS:
        value = back[0] if back else value
        frame = peer.wait_message("kind:" + name)
        check(frame.body == value and type(frame.body) is type(value),
              "kind %s: cbor2 decoded %s, expected %s" % (name, short(frame.body), short(value)))
        check(frame.raw == cbor2.dumps([MESSAGE, 0, "kind:" + name, value]),
              "kind %s: not minimal CBOR: %s" % (name, frame.raw.hex()))
        checked.append(name)
    frame = peer.wait_message("files")
    check(frame.body == "two" and len(frame.fds) == 2, "files: %s" % frame.describe())
    contents = [content_of(fd).decode() for fd in frame.fds]
    cloexec = all(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC for fd in frame.fds)
    frame.close()
    frame = peer.wait_message("empty")
    check(frame.body is None and frame.raw == bytes.fromhex("8400006565" "6d707479" "f6"),
          "a message without a body: %s" % frame.raw.hex())
    report("received", kinds=checked, files=contents, cloexec=cloexec)
    peer.end()


def scenario_peer_requests(peer, _argument):
    """The peer asks; the test answers now, later, with an error, not at all, with a descriptor."""
    peer.go()
    question = make_memfd(b"question", 0)
    asked = {
        7: ("add", [2, 3], ()),
        8: ("later", None, ()),
        9: ("fail", "/nope", ()),
        10: ("drop", None, ()),
        0: ("zero", "id 0", ()),
        11: ("file", None, (question,)),
    }
    for frame_id, (name, body, fds) in asked.items():
        peer.request(name, body, fds, frame_id=frame_id)
    os.close(question)
    answers = {}
    order = []
    while len(answers) < len(asked):
        frame = peer.wait_for(lambda f: f.type in (REPLY, ERROR_REPLY), "an answer")
        check(frame.id in asked and frame.id not in answers, "an answer to %d: %s" % (frame.id, frame.describe()))
        answers[frame.id] = frame
        order.append(asked[frame.id][0])
    # The example of docs/protocol.md, byte for byte: the reply to [1, 7, "add", [2, 3]].
    check(answers[7].raw == bytes.fromhex("8402076005"), "reply to add: %s" % answers[7].raw.hex())
    check(answers[8].type == REPLY and answers[8].body == "later", "later: %s" % answers[8].describe())
    check(answers[9].type == ERROR_REPLY and answers[9].name == "example.NotFound"
          and answers[9].body == {"path": "/nope"}, "fail: %s" % answers[9].describe())
    check(answers[10].type == ERROR_REPLY and answers[10].name == "qseqpacket.NoReply"
          and isinstance(answers[10].body, str), "drop: %s" % answers[10].describe())
    check(answers[0].type == REPLY and answers[0].body == "id 0 back", "zero: %s" % answers[0].describe())
    check(answers[11].type == REPLY and len(answers[11].fds) == 1, "file: %s" % answers[11].describe())
    answer_file = content_of(answers[11].fds[0]).decode()
    for frame in answers.values():
        frame.close()
    check(answer_file == "answer to question", "file: the reply's memfd holds %r" % answer_file)
    # An id reused while its request waits: one answer for each (docs/protocol.md).
    peer.request("twice", "a", frame_id=12)
    peer.request("twice", "b", frame_id=12)
    twice = sorted(peer.wait_answer(12).body for _ in range(2))
    check(twice == ["a", "b"], "twice: %r" % twice)
    report("answers", order=order, noReply=answers[10].body, file=answer_file, twice=twice)
    peer.end()


def scenario_our_requests(peer, _argument):
    """The test asks; the peer answers once it has them all, in reverse order, one with an error;
    then one more with an error reply whose name is empty (still an error, not a reply)."""
    peer.go()
    requests = [peer.wait_request("square") for _ in range(5)]
    ids = [request.id for request in requests]
    check(ids == list(range(ids[0], ids[0] + 5)) and ids[0] >= 1, "request ids %r do not count up from 1" % ids)
    five = make_memfd(b"five", 0)
    for request in reversed(requests):
        n = request.body
        if n == 3:
            peer.reply_error(request, "example.Odd", {"n": n})
        elif n == 5:
            peer.reply(request, n * n, [five])
        else:
            peer.reply(request, n * n)
    os.close(five)
    peer.reply_error(peer.wait_request("nameless"), "", "an error without a name")
    report("answered", ids=ids, order=[request.body for request in reversed(requests)])
    peer.end()


def scenario_unknown_request(peer, _argument):
    """Nothing handles requests on the test's side: qseqpacket.UnknownRequest comes back, and the
    request's descriptor is closed there."""
    peer.go()
    tracer = Tracer()
    frame_id = peer.request("anyone?", [1, 2], [tracer.write_end()])
    tracer.release()
    answer = peer.wait_answer(frame_id)
    check(answer.type == ERROR_REPLY, "not an error reply: %s" % answer.describe())
    report("answer", name=answer.name, body=answer.body, closed=tracer.all_closed())
    peer.end()


def scenario_both_ways(peer, argument):
    """Both sides ask at once: the peer's requests interleave with the test's, each side answers."""
    count = int(argument or 200)
    peer.go()
    sent = [peer.request("inc", 1000 + i) for i in range(count)]
    answered = 0
    replies = {}
    while answered < count or len(replies) < count:
        frame = peer.wait_for(lambda f: f.type != MESSAGE, "a request or a reply")
        if frame.type == REQUEST:
            check(frame.name == "inc", "request %s" % frame.describe())
            peer.reply(frame, frame.body + 1)
            answered += 1
        else:
            check(frame.type == REPLY and frame.id in sent and frame.id not in replies, "reply %s" % frame.describe())
            replies[frame.id] = frame.body
    check(all(replies[frame_id] == 1000 + i + 1 for i, frame_id in enumerate(sent)), "wrong replies")
    report("both", answered=answered, replies=len(replies))
    peer.end()


def scenario_large(peer, _argument):
    """Frames too large for a packet, both ways, in sealed memfds; one of 17 MiB each way."""
    params = peer.go()
    big, huge = params["big"], params["huge"]
    received = {}
    for name, size, seed in (("big", big, 1), ("huge", huge, 2)):
        frame = peer.wait_message(name)
        check(frame.spilled is not None, "%s: not spilled" % name)
        check(frame.spilled["seals"] & ALL_SEALS == ALL_SEALS, "%s: seals %d" % (name, frame.spilled["seals"]))
        check(frame.body == pattern(size, seed), "%s: the body differs" % name)
        extra = [content_of(fd).decode() for fd in frame.fds]
        frame.close()
        received[name] = {"size": frame.spilled["size"], "seals": frame.spilled["seals"],
                          "outer": frame.spilled["outer"], "fds": extra}
    report("received", **received)

    mine = make_memfd(b"from the peer", 0)
    peer.send_message("big", pattern(big, 3), [mine])  # over the threshold: spilled by send_frame
    os.close(mine)
    peer.send_message("huge", pattern(huge, 4))
    peer.send_frame(MESSAGE, 0, "tiny", "in a memfd", spill=True)  # a small frame may spill too
    echo = peer.request("echo", pattern(2 << 20, 5))
    answer = peer.wait_answer(echo)
    check(answer.type == REPLY and answer.spilled is not None and answer.body == pattern(2 << 20, 5),
          "echo: %s" % answer.describe())
    report("echoed", size=answer.spilled["size"], seals=answer.spilled["seals"])
    peer.end()


# ---- scenarios: what is wrong -----------------------------------------------------------------

def packet_after(peer, case):
    """The good frame after a bad one: it must still be delivered."""
    peer.send_message("after", case)


def hostile_frames(peer, tracer, case):
    """Sends the bad packet of case, with a traced descriptor (tracer) unless it is about the
    descriptors; returns what the verdict looks at besides: a pipe that must still hold its bytes
    ({"pipe", "bytes"}), the seals a memfd really had ({"seals"}); None otherwise."""
    fd = tracer.write_end
    raw = {
        "empty packet": b"",
        "not an array": cbor2.dumps({"type": 0}),
        "an integer": b"\x01",
        "three items": cbor2.dumps([0, 0, "three"]),
        "five items": cbor2.dumps([0, 0, "five", None, None]),
        "type not unsigned": cbor2.dumps([-1, 0, "x", None]),
        "type is text": cbor2.dumps(["0", 0, "x", None]),
        "id not unsigned": cbor2.dumps([1, -5, "x", None]),
        "id is a float": cbor2.dumps([1, 1.0, "x", None]),
        "name not text": cbor2.dumps([0, 0, b"bytes", None]),
        "name is null": cbor2.dumps([0, 0, None, None]),
        "name not UTF-8": bytes.fromhex("840000" "62ffff" "f6"),
        "unknown type": cbor2.dumps([9, 0, "nine", None]),
        "reply nobody waits for": cbor2.dumps([REPLY, 99, "", None]),
        "error reply nobody waits for": cbor2.dumps([ERROR_REPLY, 98, "example.Stray", None]),
        "10000 nested arrays": bytes.fromhex("840000" "60") + b"\x81" * 10000 + b"\xf6",
        "10000 nested maps": bytes.fromhex("840000" "60") + b"\xa1\x00" * 10000 + b"\xf6",
        "10000 nested tags": bytes.fromhex("840000" "60") + b"\xc1" * 10000 + b"\x00",
        "body not valid CBOR": bytes.fromhex("840000" "60" "62ffff"),
        "body cut short": bytes.fromhex("840000" "60" "83" "01"),
        "trailing bytes": cbor2.dumps([0, 0, "x", None]) + b"\x00",
        "a second frame after it": cbor2.dumps([0, 0, "x", None]) * 2,
        "indefinite-length array": bytes.fromhex("9f" "00" "00" "61" "78" "f6" "ff"),
    }
    if case in raw:
        peer.send_raw(raw[case], [fd()])
        return None
    inner = cbor2.dumps([MESSAGE, 0, "spilled", "inside"])
    spill = lambda size: cbor2.dumps([SPILLED, size, "", None])  # noqa: E731
    if case.startswith("spill "):
        what = case[len("spill "):]
        if what == "without its memfd":
            peer.send_raw(spill(len(inner)))
            return None
        if what in ("without seals", "memfd that cannot be sealed", "missing F_SEAL_SEAL", "missing F_SEAL_SHRINK",
                    "missing F_SEAL_GROW", "missing F_SEAL_WRITE", "with F_SEAL_FUTURE_WRITE instead of F_SEAL_WRITE"):
            seals = {"without seals": 0, "memfd that cannot be sealed": 0,
                     "missing F_SEAL_SEAL": ALL_SEALS & ~F_SEAL_SEAL, "missing F_SEAL_SHRINK": ALL_SEALS & ~F_SEAL_SHRINK,
                     "missing F_SEAL_GROW": ALL_SEALS & ~F_SEAL_GROW, "missing F_SEAL_WRITE": ALL_SEALS & ~F_SEAL_WRITE,
                     "with F_SEAL_FUTURE_WRITE instead of F_SEAL_WRITE":
                         (ALL_SEALS & ~F_SEAL_WRITE) | F_SEAL_FUTURE_WRITE}[what]
            memfd = make_memfd(inner, seals, allow_sealing=what != "memfd that cannot be sealed")
            sent_seals = seals_of(memfd)
            peer.send_raw(spill(len(inner)), [memfd, fd()])
            os.close(memfd)
            return {"seals": sent_seals}
        if what in ("memfd larger than announced", "memfd smaller than announced"):
            larger = what.startswith("memfd larger")
            memfd = make_memfd(inner + (b"\0" * 20 if larger else b""))
            announced = len(inner) if larger else len(inner) + 20
            peer.send_raw(spill(announced), [memfd, fd()])
            os.close(memfd)
            return None
        if what == "of a regular file":
            # The interpreter's own file: a regular file on a disk, never a memfd.
            regular = os.open(os.path.realpath(sys.executable), os.O_RDONLY | os.O_CLOEXEC)
            peer.send_raw(spill(os.fstat(regular).st_size), [regular, fd()])
            os.close(regular)
            return None
        if what == "of a pipe":
            read_end, write_end = os.pipe2(os.O_CLOEXEC)
            os.write(write_end, inner)
            peer.send_raw(spill(len(inner)), [read_end, fd()])
            os.close(read_end)
            return {"pipe": write_end, "bytes": len(inner)}
        if what == "inside a spill":
            memfd = make_memfd(spill(len(inner)))
            peer.send_raw(spill(len(spill(len(inner)))), [memfd, fd()])
            os.close(memfd)
            return None
        if what == "that is not a frame":
            memfd = make_memfd(b"\x01\x02\x03")
            peer.send_raw(spill(3), [memfd, fd()])
            os.close(memfd)
            return None
        if what == "of nothing":
            memfd = make_memfd(b"")
            peer.send_raw(spill(0), [memfd, fd()])
            os.close(memfd)
            return None
        if what == "larger than the receiver accepts":
            body = make_memfd(cbor2.dumps([MESSAGE, 0, "too large", pattern(20000)]))
            peer.send_raw(spill(os.fstat(body).st_size), [body, fd()])
            os.close(body)
            return None
        if what == "of a pipe larger than the receiver accepts":
            # Proof that nothing was read: the pipe's bytes are still there afterwards.
            read_end, write_end = os.pipe2(os.O_CLOEXEC)
            os.write(write_end, pattern(20000))
            peer.send_raw(spill(20000), [read_end, fd()])
            os.close(read_end)
            return {"pipe": write_end, "bytes": 20000}
        if what == "of 2^64-1 bytes":
            memfd = make_memfd(inner)
            peer.send_raw(spill(2 ** 64 - 1), [memfd, fd()])
            os.close(memfd)
            return None
    if case == "packet larger than the receiver accepts":
        peer.send_raw(cbor2.dumps([MESSAGE, 0, "too large", pattern(20000)]), [fd()])
        return None
    if case == "descriptors cut (MSG_CTRUNC)":
        peer.send_raw(cbor2.dumps([MESSAGE, 0, "five descriptors", None]), [fd() for _ in range(5)])
        return None
    fail("unknown hostile case %r" % case)
    return None


def scenario_hostile(peer, case):
    """One bad packet with a descriptor, then a good frame; the verdict says what the test closed."""
    peer.go()
    tracer = Tracer()
    extra = hostile_frames(peer, tracer, case)
    tracer.release()
    packet_after(peer, case)
    verdict = peer.wait_request("verdict")
    answer = {"closed": tracer.all_closed()}
    if extra and "pipe" in extra:
        # The receiver refused the pipe before reading from it: every byte is still in it.
        answer["closed"] = answer["closed"] and read_end_closed(extra["pipe"])
        answer["unread"] = bytes_in_pipe(extra["pipe"]) == extra["bytes"]
        os.close(extra["pipe"])
    if extra and "seals" in extra:
        answer["seals"] = extra["seals"]
    peer.reply(verdict, answer)
    report("verdict", case=case, **answer)
    peer.end()


def scenario_truncated(peer, _argument):
    """A packet larger than the receiver's batch slot (2 x net.core.wmem_max): MSG_TRUNC there.
    Only a privileged sender can raise SO_SNDBUF that far, and the kernel may refuse such a
    packet all the same (it allocates one packet in one piece of at most about 4 MiB)."""
    peer.go()
    with open("/proc/sys/net/core/wmem_max") as sysctl:
        slot = 2 * int(sysctl.read())
    page = os.sysconf("SC_PAGE_SIZE")
    slot = (slot + page - 1) // page * page
    size = slot + 1
    tracer = Tracer()
    result = {"size": size, "slot": slot, "sent": False}
    try:
        peer.sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 2 * size + (1 << 20))
        frame = cbor2.dumps([MESSAGE, 0, "truncated", pattern(size)])
        peer.sock.sendmsg([frame], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [tracer.write_end()]))])
        result["sent"] = True
        result["frameSize"] = len(frame)
    except OSError as error:
        result["error"] = "%s (%s)" % (os.strerror(error.errno), errno.errorcode.get(error.errno, error.errno))
        # The largest packet the kernel takes, found by halving: what makes MSG_TRUNC impossible.
        low, high = 0, size
        probe_a, probe_b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        probe_a.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 2 * size + (1 << 20))
        probe_b.setblocking(False)
        while low + 1 < high:
            middle = (low + high) // 2
            try:
                probe_a.send(bytes(middle))
                probe_b.recv(1)
                low = middle
            except OSError:
                high = middle
        probe_a.close()
        probe_b.close()
        result["largest"] = low
    report("truncated", **result)
    packet_after(peer, "truncated")
    verdict = peer.wait_request("verdict")
    closed = tracer.all_closed()
    peer.reply(verdict, {"closed": closed})
    peer.end()


def scenario_flood(peer, argument):
    """10,000 requests nobody answers, all sent before any answer is read (but where the kernel
    takes no more: then it reads what came, so as not to wait for ever). Some carry a descriptor:
    one that the test holds (closed when it drops it), some that it refuses (closed at once)."""
    count = int(argument or 10000)
    limit = peer.go()["limit"]
    answers = {}

    def take(frame):
        check(frame.type == ERROR_REPLY and frame.id not in answers and not frame.fds,
              "not one error reply per request: %s" % frame.describe())
        answers[frame.id] = frame.name

    tracer = Tracer()
    peer.sock.setblocking(False)
    next_id = 1
    blocked = 0
    traced_fd = None
    while next_id <= count:
        traced = next_id == limit // 2 or next_id % 1000 == 500
        if traced and traced_fd is None:
            traced_fd = tracer.write_end()
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [traced_fd]))] if traced else []
        try:
            peer.sock.sendmsg([cbor2.dumps([REQUEST, next_id, "flood", next_id])], ancillary)
            next_id += 1
            traced_fd = None
        except BlockingIOError:
            blocked += 1
            readable, _, _ = select.select([peer.sock], [peer.sock], [], TIMEOUT)
            if readable:
                take(peer.next_frame())
    peer.sock.setblocking(True)
    tracer.release()
    while len(answers) < count - limit:
        take(peer.next_frame())
    names = sorted(set(answers.values()))
    report("flooded", sent=count, answers=len(answers), names=names, blocked=blocked,
           tooMany=sum(1 for name in answers.values() if name == "qseqpacket.TooManyRequests"))
    # The test drops the requests it held now: each is answered qseqpacket.NoReply.
    while len(answers) < count:
        take(peer.next_frame())
    traced = len(tracer.read_ends)
    report("answered", count=len(answers), traced=traced, closed=tracer.all_closed(),
           noReply=sum(1 for name in answers.values() if name == "qseqpacket.NoReply"),
           tooMany=sum(1 for name in answers.values() if name == "qseqpacket.TooManyRequests"))
    peer.end()


def scenario_silent(peer, _argument):
    """Takes the test's requests and answers none until they have timed out; then answers late."""
    params = peer.go()
    requests = [peer.wait_request("hello?") for _ in range(params["count"])]
    report("requests", ids=[request.id for request in requests])
    peer.wait_message("answer late")
    tracer = Tracer()
    for request in requests:
        peer.reply(request, "too late", [tracer.write_end()])
    packet_after(peer, "late replies")
    verdict = peer.wait_request("verdict")
    closed = tracer.all_closed()
    peer.reply(verdict, {"closed": closed})
    report("verdict", closed=closed)
    peer.end()


SCENARIOS = {
    "messages": scenario_messages,
    "peer-requests": scenario_peer_requests,
    "our-requests": scenario_our_requests,
    "unknown-request": scenario_unknown_request,
    "both-ways": scenario_both_ways,
    "large": scenario_large,
    "hostile": scenario_hostile,
    "truncated": scenario_truncated,
    "flood": scenario_flood,
    "silent": scenario_silent,
}


def main(argv):
    if len(argv) < 3 or argv[2] not in SCENARIOS:
        print("usage: %s ADDRESS {%s} [ARGUMENT]" % (argv[0], "|".join(SCENARIOS)), file=sys.stderr)
        return 2
    peer = Peer(argv[1])
    report("connected", scenario=argv[2], argument=argv[3] if len(argv) > 3 else None)
    SCENARIOS[argv[2]](peer, argv[3] if len(argv) > 3 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
