// SPDX-License-Identifier: MIT
// SeqpacketChannel: a SeqpacketServer's peer and a client SeqpacketSocket, each with a channel,
// in one engine. Messages both ways, requests answered by a JavaScript handler (at once, later,
// through a promise, with an error), UnknownRequest without a handler, timeouts, cancellation,
// a body that spills into a memfd, and the frames as a tool sees them (receiveOptions.decodeFrames).
import QtQuick
import QtTest
import QSeqpacket
import QSeqpacketTest

TestCase {
    id: testCase
    name: "SeqpacketChannel"

    TestPeer { id: peer }

    Component { id: serverComponent; SeqpacketServer {} }
    Component { id: socketComponent; SeqpacketSocket {} }
    Component { id: channelComponent; SeqpacketChannel {} }

    SignalSpy { id: serverMessages; signalName: "messageReceived" }
    SignalSpy { id: clientMessages; signalName: "messageReceived" }
    SignalSpy { id: clientErrors; signalName: "protocolError" }
    SignalSpy { id: clientPackets; signalName: "packetReceived" }

    // The server side's requests that wait to be answered, and answers for its promises.
    property var kept: []
    property var resolvers: []

    function handler(request) {
        switch (request.name) {
        case "add":
            return request.body[0] + request.body[1]
        case "echo":
            return request.body
        case "nothing":
            return null
        case "later":
            kept.push(request)
            return undefined
        case "fail":
            request.replyError("example.NotFound", { what: request.body })
            return undefined
        case "promise":
            return new Promise(resolve => resolvers.push(resolve))
        case "throw":
            throw new Error("the handler broke")
        case "keep":
            kept.push(request)
            return undefined
        case "twice":
            request.reply("first")
            return "second"  // answered already: dropped
        }
        request.replyError("example.NoSuchMethod", request.name)
    }

    // A connected pair: server peer and client, a channel on each (the server's answers requests
    // with handler(), or leaves them to the library when handler is undefined).
    function makePair(requestHandler) {
        const address = peer.uniqueAbstractAddress("channel")
        const server = createTemporaryObject(serverComponent, testCase, { address: address })
        verify(server.listen())
        const serverChannel = createTemporaryObject(channelComponent, testCase,
                                                    { requestHandler: requestHandler })
        server.peerConnected.connect(p => { serverChannel.socket = p })
        const client = createTemporaryObject(socketComponent, testCase, { address: address })
        const clientChannel = createTemporaryObject(channelComponent, testCase, { socket: client })
        client.connectToServer()
        verify(client.connected)
        tryVerify(() => serverChannel.socket !== null, 5000)
        serverMessages.clear()
        serverMessages.target = serverChannel
        clientMessages.clear()
        clientMessages.target = clientChannel
        clientErrors.clear()
        clientErrors.target = clientChannel
        clientPackets.clear()
        clientPackets.target = client
        kept = []
        resolvers = []
        return { server: server, client: client, serverChannel: serverChannel, clientChannel: clientChannel }
    }

    // Sends request \a name and returns an object whose reply is set when the callback runs.
    function ask(channel, name, body, timeout) {
        const result = { reply: null, calls: 0 }
        const callback = reply => { result.reply = reply; ++result.calls }
        result.handle = timeout === undefined ? channel.request(name, body, callback)
                                              : channel.request(name, body, callback, timeout)
        return result
    }

    function answered(result) {
        tryVerify(() => result.reply !== null, 5000)
        return result.reply
    }

    function test_messagesBothWays() {
        const p = makePair(handler)
        compare(p.clientChannel.socket, p.client)

        const bytes = new Uint8Array([0, 1, 254, 255]).buffer
        verify(p.clientChannel.send("hello", { text: "héllo", n: 5, half: 2.5, negative: -7, yes: true,
                                               none: null, list: [1, "two", [3]], bytes: bytes }))
        verify(p.clientChannel.send("nobody"))   // no body: null
        tryCompare(serverMessages, "count", 2, 5000)
        compare(serverMessages.signalArguments[0][0], "hello")
        const body = serverMessages.signalArguments[0][1]
        compare(body.text, "héllo")
        compare(body.n, 5)
        compare(body.half, 2.5)
        compare(body.negative, -7)
        compare(body.yes, true)
        compare(body.none, null)
        compare(body.list.length, 3)
        compare(body.list[1], "two")
        compare(body.list[2][0], 3)
        verify(body.bytes instanceof ArrayBuffer)
        compare(peer.hexOf(body.bytes), "0001feff")
        compare(serverMessages.signalArguments[0][2].length, 0)   // no descriptors
        compare(serverMessages.signalArguments[1][0], "nobody")
        compare(serverMessages.signalArguments[1][1], null)

        // The other way, a date and a typed array's view among them.
        const when = new Date(Date.UTC(2024, 4, 1, 12, 30, 0))
        verify(p.serverChannel.send("news", [when, new Uint8Array([5, 6, 7]).subarray(1), "x"]))
        tryCompare(clientMessages, "count", 1, 5000)
        const news = clientMessages.signalArguments[0][1]
        verify(news[0] instanceof Date)
        compare(news[0].getTime(), when.getTime())
        compare(peer.hexOf(news[1]), "0607")
        compare(news[2], "x")

        // The channel reads the socket's packets: the socket itself delivers none.
        compare(clientPackets.count, 0)
        compare(p.client.packetsReceived, 0)
    }

    function test_bodiesWithoutCborForm() {
        const p = makePair(handler)
        verify(!p.clientChannel.send("f", { f: function () {} }))
        compare(p.client.error, SeqpacketSocket.InvalidDataError)
        verify(p.client.errorString.indexOf("function") >= 0, p.client.errorString)
        const cyclic = {}
        cyclic.self = cyclic
        verify(!p.clientChannel.send("cycle", cyclic))
        verify(p.client.errorString.indexOf("deeper") >= 0, p.client.errorString)
        // A request whose body cannot go is answered here, and later, like any other.
        const r = ask(p.clientChannel, "echo", [function () {}])
        compare(r.reply, null)
        const reply = answered(r)
        verify(reply.error)
        compare(reply.errorName, "qseqpacket.TooLarge")
        compare(p.clientChannel.pendingRequests, 0)
    }

    function test_requestsAnsweredByTheHandler() {
        const p = makePair(handler)
        const fdsBefore = peer.openDescriptorCount()

        const add = ask(p.clientChannel, "add", [2, 3])
        compare(add.reply, null)                 // the callback never runs within request()
        compare(p.clientChannel.pendingRequests, 1)
        let reply = answered(add)
        compare(reply.error, false)
        compare(reply.errorName, "")
        compare(reply.body, 5)
        compare(reply.descriptors.length, 0)
        compare(add.calls, 1)
        compare(p.clientChannel.pendingRequests, 0)

        const echo = ask(p.clientChannel, "echo", { deep: { list: [1, 2, { x: "y" }] } })
        compare(answered(echo).body.deep.list[2].x, "y")
        compare(answered(ask(p.clientChannel, "nothing")).body, null)

        // Answered later, from outside the handler.
        const later = ask(p.clientChannel, "later", "job")
        tryCompare(testCase.kept, "length", 1, 5000)
        const request = kept[0]
        compare(request.name, "later")
        compare(request.body, "job")
        verify(request.id > 0)
        compare(request.answered, false)
        wait(50)
        compare(later.reply, null)
        verify(request.reply({ done: request.body }))
        compare(request.answered, true)
        ignoreWarning(/the request later was answered already/)
        verify(!request.reply("again"))          // once only
        compare(answered(later).body.done, "job")

        // A promise (an async handler) answers when it settles.
        const promised = ask(p.clientChannel, "promise")
        tryCompare(testCase.resolvers, "length", 1, 5000)
        resolvers[0]("kept my promise")
        compare(answered(promised).body, "kept my promise")

        // The handler's own answer wins over what it returns after.
        compare(answered(ask(p.clientChannel, "twice")).body, "first")
        compare(clientErrors.count, 0)

        // Nothing is left open: the spilled frames' memfds, the received messages' descriptors.
        tryVerify(() => peer.openDescriptorCount() === fdsBefore, 5000)
    }

    function test_requestWithoutABody() {
        const p = makePair(handler)
        let reply = null
        p.clientChannel.request("echo", r => { reply = r })
        tryVerify(() => reply !== null, 5000)
        compare(reply.error, false)
        compare(reply.body, null)
    }

    function test_descriptorsThatCameWithFrames() {
        // A peer in another language (the scripted peer, frames written in hex) sends a message
        // and a request, each with a file's descriptor.
        const address = peer.uniqueAbstractAddress("frame-fds")
        const server = createTemporaryObject(serverComponent, testCase, { address: address })
        verify(server.listen())
        const channel = createTemporaryObject(channelComponent, testCase, { requestHandler: handler })
        server.peerConnected.connect(p => { channel.socket = p })
        serverMessages.clear()
        serverMessages.target = channel
        kept = []
        const file = peer.writeTempFile("with-frame.txt", "content of a file sent with a frame")
        const fdsBefore = peer.openDescriptorCount()
        let openDuringHandler = -1
        channel.messageReceived.connect(() => { openDuringHandler = peer.openDescriptorCount() })
        verify(peer.start(["--connect", address,
                           "framefile:" + file + ":8400006466696c65f6",     // [0, 0, "file", null]
                           "framefile:" + file + ":840105646b656570f6",     // [1, 5, "keep", null]
                           "hex:840106646b656570f6",                       // [1, 6, "keep", null]
                           "wait-eof"]))
        tryCompare(serverMessages, "count", 1, 5000)
        compare(serverMessages.signalArguments[0][0], "file")
        const descriptor = serverMessages.signalArguments[0][2][0]
        compare(descriptor.target, file)
        compare(descriptor.firstBytesText, "content of a file sent with a frame")
        // Open while the handlers ran (the connection is one more descriptor), closed after.
        verify(openDuringHandler > fdsBefore)

        // The request's descriptor stays open until it is answered.
        tryCompare(testCase.kept, "length", 2, 5000)
        tryVerify(() => channel.socket !== null && channel.socket.connected, 5000)
        const connected = peer.openDescriptorCount()
        const desc = kept[0]
        compare(desc.name, "keep")
        compare(desc.id, 5)
        compare(desc.descriptors.length, 1)
        compare(desc.descriptors[0].target, file)
        compare(kept[1].descriptors.length, 0)
        compare(peer.openDescriptorCount(), connected)   // the request's descriptor among them
        verify(desc.reply(desc.descriptors.length))
        compare(peer.openDescriptorCount(), connected - 1)
        verify(kept[1].replyError("example.Nope"))
        peer.kill()
        tryCompare(peer, "finished", true, 5000)
        tryVerify(() => channel.socket === null, 5000)
        tryVerify(() => peer.openDescriptorCount() === fdsBefore, 5000)
    }

    function test_errorReplies() {
        const p = makePair(handler)
        let reply = answered(ask(p.clientChannel, "fail", 42))
        verify(reply.error)
        compare(reply.errorName, "example.NotFound")
        compare(reply.body.what, 42)

        reply = answered(ask(p.clientChannel, "no-such-request"))
        compare(reply.errorName, "example.NoSuchMethod")
        compare(reply.body, "no-such-request")

        // A handler that throws: the peer learns that its request was dropped; we get a warning.
        ignoreWarning(/the request handler of throw failed: Error: the handler broke/)
        reply = answered(ask(p.clientChannel, "throw"))
        compare(reply.errorName, "qseqpacket.NoReply")
    }

    function test_unknownRequestWithoutAHandler() {
        const p = makePair(undefined)
        let reply = answered(ask(p.clientChannel, "add", [1, 2]))
        verify(reply.error)
        compare(reply.errorName, "qseqpacket.UnknownRequest")
        // A handler set later answers from then on; unset again, the library answers.
        p.serverChannel.requestHandler = handler
        compare(answered(ask(p.clientChannel, "add", [1, 2])).body, 3)
        p.serverChannel.requestHandler = undefined
        compare(answered(ask(p.clientChannel, "add", [1, 2])).errorName, "qseqpacket.UnknownRequest")
    }

    function test_timeoutCancelDisconnect() {
        const p = makePair(handler)
        // No answer within 100 ms.
        const slow = ask(p.clientChannel, "later", "slow", 100)
        let reply = answered(slow)
        verify(reply.error)
        compare(reply.errorName, "qseqpacket.Timeout")
        compare(p.clientChannel.pendingRequests, 0)
        // The late answer is dropped on our side, which says so.
        tryCompare(testCase.kept, "length", 1, 5000)
        verify(kept[0].reply("too late"))
        tryCompare(clientErrors, "count", 1, 5000)
        verify(clientErrors.signalArguments[0][0].indexOf("finished before") >= 0, clientErrors.signalArguments[0][0])

        // requestTimeout is the default of request().
        p.clientChannel.requestTimeout = 50
        compare(answered(ask(p.clientChannel, "later")).errorName, "qseqpacket.Timeout")
        p.clientChannel.requestTimeout = -1

        // Cancel one, then all.
        const one = ask(p.clientChannel, "later")
        const two = ask(p.clientChannel, "later")
        const three = ask(p.clientChannel, "later")
        compare(p.clientChannel.pendingRequests, 3)
        verify(p.clientChannel.cancelRequest(one.handle))
        verify(!p.clientChannel.cancelRequest(12345))
        compare(answered(one).errorName, "qseqpacket.Canceled")
        compare(two.reply, null)
        p.clientChannel.cancelRequests()
        compare(answered(two).errorName, "qseqpacket.Canceled")
        compare(answered(three).errorName, "qseqpacket.Canceled")
        compare(p.clientChannel.pendingRequests, 0)

        // The connection ends while a request waits.
        const waiting = ask(p.clientChannel, "later")
        tryVerify(() => kept.length === 6, 5000)
        p.client.abort()
        compare(answered(waiting).errorName, "qseqpacket.Disconnected")
        // Not connected: it cannot even go.
        compare(answered(ask(p.clientChannel, "add", [1, 1])).errorName, "qseqpacket.Disconnected")
        verify(!p.clientChannel.send("gone"))
    }

    function test_largeBodiesSpill() {
        const p = makePair(handler)
        const fdsBefore = peer.openDescriptorCount()
        // Larger than a packet can carry: the frames travel in sealed memfds, both ways.
        const size = Math.max(p.client.maxPacketSize, p.serverChannel.socket.maxPacketSize) + 1000
        const big = new Uint8Array(size)
        for (let i = 0; i < size; i += 997)
            big[i] = i % 251
        verify(p.clientChannel.send("big", big.buffer))
        tryCompare(serverMessages, "count", 1, 5000)
        const received = serverMessages.signalArguments[0][1]
        compare(received.byteLength, size)
        compare(new Uint8Array(received)[997], 997 % 251)

        const echoed = answered(ask(p.clientChannel, "echo", { text: "x".repeat(size) }))
        compare(echoed.error, false)
        compare(echoed.body.text.length, size)

        // A channel that accepts less drops it and says so.
        p.serverChannel.maxMessageSize = 1000
        verify(p.clientChannel.send("too-big", big.buffer))
        verify(p.clientChannel.send("small", 1))
        tryCompare(serverMessages, "count", 2, 5000)
        compare(serverMessages.signalArguments[1][0], "small")
        compare(p.serverChannel.maxMessageSize, 1000)
        // A negative size is refused with a warning; the limit stays.
        ignoreWarning(/maxMessageSize: -5 bytes is not a size/)
        p.serverChannel.maxMessageSize = -5
        compare(p.serverChannel.maxMessageSize, 1000)

        // A spill threshold of 0: every frame in a memfd, and still the same messages.
        p.clientChannel.spillThreshold = 0
        compare(p.clientChannel.spillThreshold, 0)
        verify(p.clientChannel.send("tiny", "in a memfd"))
        tryCompare(serverMessages, "count", 3, 5000)
        compare(serverMessages.signalArguments[2][1], "in a memfd")

        tryVerify(() => peer.openDescriptorCount() === fdsBefore, 5000)
    }

    function test_socketReadsAgainWithoutItsChannel() {
        const p = makePair(handler)
        verify(p.serverChannel.send("for the channel", 1))
        tryCompare(clientMessages, "count", 1, 5000)
        compare(clientPackets.count, 0)
        // The channel lets go: packets are the socket's again, plain ones included.
        p.clientChannel.socket = null
        compare(p.clientChannel.socket, null)
        ignoreWarning(/send\(\): the channel has no socket/)
        verify(!p.clientChannel.send("no socket"))
        verify(p.serverChannel.socket.sendText("plain text"))
        tryCompare(clientPackets, "count", 1, 5000)
        compare(clientPackets.signalArguments[0][0].text, "plain text")
        compare(p.client.packetsReceived, 1)
        // ... and the channel's again when it comes back.
        p.clientChannel.socket = p.client
        compare(answered(ask(p.clientChannel, "add", [20, 22])).body, 42)
        compare(clientPackets.count, 1)
    }

    function test_serverPeerGoes() {
        const p = makePair(handler)
        const waiting = ask(p.serverChannel, "anything")   // the client has no handler
        compare(answered(waiting).errorName, "qseqpacket.UnknownRequest")
        const pending = ask(p.clientChannel, "later")
        tryCompare(testCase.kept, "length", 1, 5000)
        // The server deletes its peer once it is gone; the channel lets go of it.
        p.client.abort()
        compare(answered(pending).errorName, "qseqpacket.Disconnected")
        tryCompare(p.serverChannel, "socket", null, 5000)
        ignoreWarning(/reply: the channel has no socket/)
        verify(!kept[0].reply("nobody listens"))
    }

    function test_framesAsAToolSeesThem() {
        // The server side has no channel: it sees the client channel's packets, decoded.
        const address = peer.uniqueAbstractAddress("frames")
        const server = createTemporaryObject(serverComponent, testCase, { address: address })
        server.receiveOptions.decodeFrames = true
        verify(server.listen())
        const received = []
        const sent = []
        server.packetReceived.connect((peerSocket, packet) => received.push(packet))
        const client = createTemporaryObject(socketComponent, testCase, { address: address })
        const channel = createTemporaryObject(channelComponent, testCase, { socket: client })
        client.connectToServer()
        tryCompare(server, "peerCount", 1, 5000)
        const serverPeer = server.peers.get(0)
        serverPeer.packetSent.connect(packet => sent.push(packet))
        const fdsBefore = peer.openDescriptorCount()

        verify(channel.send("log", { level: 2, text: "hi" }))
        const add = ask(channel, "add", [2, 3])
        verify(channel.send("big", "y".repeat(client.maxPacketSize + 10)))
        verify(client.sendText("plain text is no frame"))
        verify(client.sendHex("83 01 02 03"))   // an array, but of three items
        tryCompare(received, "length", 5, 5000)

        let f = received[0].frame
        compare(f.valid, true)
        compare(f.type, 0)
        compare(f.typeName, "message")
        compare(f.id, 0)
        compare(f.name, "log")
        compare(f.body, '{"level": 2, "text": "hi"}')
        compare(f.spilled, false)
        compare(f.spilledSize, -1)
        compare(f.descriptorCount, 0)

        f = received[1].frame
        compare(f.typeName, "request")
        compare(f.type, 1)
        verify(f.id > 0)
        compare(f.name, "add")
        compare(f.body, "[2, 3]")
        const requestId = f.id

        // Read from its memfd while the packet's descriptors were open.
        f = received[2].frame
        compare(f.valid, true)
        compare(f.typeName, "message")
        compare(f.name, "big")
        compare(f.spilled, true)
        verify(f.spilledSize > client.maxPacketSize)
        compare(received[2].descriptorCount, 1)
        compare(received[2].descriptors[0].type, "memfd")
        compare(f.descriptorCount, 0)
        verify(f.body.startsWith('"yyyy'))

        compare(received[3].frame, undefined)
        compare(received[4].frame.valid, false)
        verify(received[4].frame.error.indexOf("3 items") >= 0, received[4].frame.error)

        // An answer by hand: [2, id, "", 5]; the sent packet is decoded too.
        const idHex = ("0" + requestId.toString(16)).slice(-2)
        verify(requestId < 24)
        verify(serverPeer.sendHex("84 02 " + idHex + " 60 05"))
        compare(sent.length, 1)
        compare(sent[0].frame.typeName, "reply")
        compare(sent[0].frame.id, requestId)
        compare(sent[0].frame.body, "5")
        compare(answered(add).body, 5)

        // Frames are not decoded unless asked for.
        server.receiveOptions.decodeFrames = false
        verify(channel.send("log", 1))
        tryCompare(received, "length", 6, 5000)
        compare(received[5].frame, undefined)
        tryVerify(() => peer.openDescriptorCount() === fdsBefore, 5000)
    }
}
