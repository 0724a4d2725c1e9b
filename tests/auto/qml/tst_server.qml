// SPDX-License-Identifier: MIT
// SeqpacketServer against a peer process that connects and sends text, binary and a memfd.
import QtQuick
import QtTest
import QSeqpacket
import QSeqpacketTest

TestCase {
    id: testCase
    name: "SeqpacketServer"

    TestPeer { id: peer }

    Component {
        id: serverComponent
        SeqpacketServer {}
    }

    SignalSpy { id: connectedSpy; signalName: "peerConnected" }
    SignalSpy { id: disconnectedSpy; signalName: "peerDisconnected" }
    SignalSpy { id: packetSpy; signalName: "packetReceived" }
    SignalSpy { id: descriptorSpy; signalName: "descriptorReceived" }

    function makeServer(address) {
        const server = createTemporaryObject(serverComponent, testCase, { address: address })
        verify(server)
        for (const spy of [connectedSpy, disconnectedSpy, packetSpy, descriptorSpy]) {
            spy.clear()
            spy.target = server
        }
        return server
    }

    function test_listenFailures() {
        const server = makeServer("")
        // An over-long path cannot exist.
        verify(!server.listen("/tmp/" + "x".repeat(200)))
        compare(server.error, SeqpacketSocket.InvalidAddressError)
        verify(server.errorString.length > 0)
        verify(!server.listening)
        // A name the kernel picks: listening on an unnamed address gives an abstract one.
        verify(server.listen(""))
        verify(server.listening)
        compare(server.error, SeqpacketSocket.NoError)
        compare(server.serverAddress[0], "@")
        server.close()
        verify(!server.listening)
    }

    function test_declarativeListen() {
        const address = peer.uniqueAbstractAddress("decl")
        const server = createTemporaryObject(serverComponent, testCase, { address: address, listening: true })
        verify(server.listening)
        compare(server.serverAddress, address)
        server.listening = false
        verify(!server.listening)
    }

    function test_packetsFromAPeerProcess() {
        const address = peer.uniqueAbstractAddress("server")
        const server = makeServer(address)
        verify(server.listen())
        compare(server.serverAddress, address)
        const fdsBefore = peer.openDescriptorCount()

        verify(peer.start(["--connect", address,
                           "text:hello from the peer",
                           "hex:00017f80ff",
                           "memfd:content of the memfd",
                           "wait-eof"]))
        tryCompare(server, "peerCount", 1, 5000)
        compare(connectedSpy.count, 1)
        const client = connectedSpy.signalArguments[0][0]
        compare(server.peers.get(0), client)
        compare(server.connectionCount, 1)

        // Peer credentials and what /proc says about it.
        verify(client.connected)
        verify(client.peerCredentialsValid)
        compare(client.peerPid, peer.pid)
        compare(client.peerUid, peer.currentUid())
        compare(client.peerGid, peer.currentGid())
        verify(client.peerUser.length > 0)
        verify(client.peerGroup.length > 0)
        const process = SeqpacketDiagnostics.peerProcess(client)
        verify(process.executable.endsWith("qseqpacket_qml_test_peer"), process.executable)
        compare(process.name.length > 0, true)
        compare(client.localAddress, address)
        compare(client.peerAddress, "")   // the peer did not bind

        tryCompare(packetSpy, "count", 3, 5000)
        // text
        let p = packetSpy.signalArguments[0][1]
        compare(packetSpy.signalArguments[0][0], client)
        compare(p.direction, "in")
        compare(p.sequence, 1)
        compare(p.text, "hello from the peer")
        compare(p.size, 19)
        compare(p.originalSize, 19)
        compare(p.truncated, false)
        compare(p.descriptorCount, 0)
        compare(p.isText, true)
        verify(p.data instanceof ArrayBuffer)
        compare(p.data.byteLength, 19)
        verify(p.time instanceof Date)
        verify(Math.abs(p.timestamp - Date.now()) < 60000)
        // binary
        p = packetSpy.signalArguments[1][1]
        compare(p.hex, "00017f80ff")
        compare(p.size, 5)
        compare(p.isText, false)
        const bytes = new Uint8Array(p.data)
        compare(bytes.length, 5)
        compare(bytes[0], 0)
        compare(bytes[3], 0x80)
        compare(bytes[4], 0xff)
        compare(peer.hexOf(p.data), "00017f80ff")
        // a memfd
        p = packetSpy.signalArguments[2][1]
        compare(p.text, "memfd")
        compare(p.descriptorCount, 1)
        compare(p.descriptorsTruncated, false)
        const d = p.descriptors[0]
        compare(d.type, "memfd")
        verify(d.isMemfd)
        verify(d.target.startsWith("/memfd:qml-test-peer"), d.target)
        compare(d.size, 20)
        verify(d.hasContent)
        compare(d.firstBytesText, "content of the memfd")
        compare(d.firstBytesHex, peer.hexOf(d.firstBytes))
        compare(d.access, "read-write")
        compare(d.firstBytes.byteLength, 20)
        verify(d.number >= 0)

        compare(descriptorSpy.count, 1)
        compare(descriptorSpy.signalArguments[0][0], client)
        compare(descriptorSpy.signalArguments[0][1].target, d.target)
        compare(descriptorSpy.signalArguments[0][2].sequence, 3)

        compare(client.packetsReceived, 3)
        compare(client.bytesReceived, 19 + 5 + 5)
        compare(client.descriptorsReceived, 1)

        // The server answers; the peer waits for the end and then exits.
        verify(client.sendText("bye"))
        compare(client.packetsSent, 1)
        compare(client.bytesSent, 3)
        client.disconnectFromServer()
        tryCompare(peer, "finished", true, 5000)
        compare(peer.exitCode, 0)
        tryCompare(server, "peerCount", 0, 5000)
        compare(disconnectedSpy.count, 1)
        // Nothing received is left open: the memfd was closed once the handlers returned.
        tryCompare(peer, "running", false, 5000)
        wait(50)
        compare(peer.openDescriptorCount(), fdsBefore)
    }

    function test_peerClosesFirst() {
        const address = peer.uniqueAbstractAddress("close")
        const server = makeServer(address)
        verify(server.listen())
        verify(peer.start(["--connect", address, "text:one", "text:two"]))
        tryCompare(peer, "finished", true, 5000)
        // Everything the peer sent before closing arrives before it is gone.
        tryCompare(disconnectedSpy, "count", 1, 5000)
        compare(packetSpy.count, 2)
        compare(packetSpy.signalArguments[1][1].text, "two")
        compare(server.peerCount, 0)
    }

    function test_burstInOrder() {
        // Many packets at once: every one arrives, in order, and the counters agree.
        const address = peer.uniqueAbstractAddress("burst")
        const server = makeServer(address)
        server.decodeLimit = 16
        verify(server.listen())
        const count = 3000
        verify(peer.start(["--connect", address, "burst:" + count, "wait-eof"]))
        tryCompare(packetSpy, "count", count, 20000)
        for (let i = 0; i < count; ++i) {
            const p = packetSpy.signalArguments[i][1]
            if (p.text !== "seq=" + i || p.sequence !== i + 1)
                fail("packet " + i + " is " + p.text + " (sequence " + p.sequence + ")")
        }
        const client = server.peers.get(0)
        compare(client.packetsReceived, count)
        server.abortPeers()
        tryCompare(peer, "finished", true, 5000)
    }

    function test_truncation() {
        const address = peer.uniqueAbstractAddress("trunc")
        const server = makeServer(address)
        server.receiveLimit = 4
        server.decodeLimit = 2
        verify(server.listen())
        verify(peer.start(["--connect", address, "text:0123456789", "wait-eof"]))
        tryCompare(packetSpy, "count", 1, 5000)
        const p = packetSpy.signalArguments[0][1]
        compare(p.truncated, true)
        compare(p.size, 4)
        compare(p.originalSize, 10)
        compare(p.data.byteLength, 4)
        compare(p.text, "01")      // helpers cover decodeLimit bytes
        compare(p.hex, "3031")
        server.abortPeers()
        tryCompare(peer, "finished", true, 5000)
    }

    function test_settingsReachLivePeers() {
        // The receive settings are one object the server shares with its peers: a change made
        // while a peer is connected applies to that peer's next packets.
        const address = peer.uniqueAbstractAddress("live")
        const server = makeServer(address)
        verify(server.listen())
        verify(peer.start(["--connect", address, "text:0123456789", "echo:1",
                           "text:0123456789", "memfd:content of the memfd", "wait-eof"]))
        tryCompare(packetSpy, "count", 1, 5000)
        const client = server.peers.get(0)
        verify(server.receiveOptions)
        compare(client.receiveOptions, server.receiveOptions)
        let p = packetSpy.signalArguments[0][1]
        compare(p.truncated, false)
        compare(p.text, "0123456789")

        server.receiveLimit = 4
        server.decodeLimit = 2
        server.descriptorPreviewSize = 7
        compare(client.receiveLimit, 4)
        compare(client.decodeLimit, 2)
        compare(client.descriptorPreviewSize, 7)
        verify(client.sendText("go"))   // the peer answers, then sends the rest
        tryCompare(packetSpy, "count", 4, 5000)
        p = packetSpy.signalArguments[1][1]   // the peer's JSON answer
        compare(p.truncated, true)
        compare(p.size, 4)
        p = packetSpy.signalArguments[2][1]
        compare(p.truncated, true)
        compare(p.size, 4)
        compare(p.originalSize, 10)
        compare(p.text, "01")
        compare(p.hex, "3031")
        p = packetSpy.signalArguments[3][1]
        compare(p.descriptorCount, 1)
        compare(p.descriptors[0].firstBytesText, "content")
        compare(p.descriptors[0].firstBytes.byteLength, 7)

        // The peer's own setters reach the same object, so the server sees them too.
        client.decodeLimit = -1
        compare(server.decodeLimit, -1)
        server.abortPeers()
        tryCompare(peer, "finished", true, 5000)
    }

    function test_pathAddressAndStaleSocket() {
        const address = peer.uniquePathAddress("srv")
        let server = makeServer(address)
        verify(server.listen())
        verify(peer.start(["--connect", address, "text:via a path"]))
        tryCompare(packetSpy, "count", 1, 5000)
        compare(packetSpy.signalArguments[0][1].text, "via a path")
        // A second server on the same live path fails, even when told to remove stale sockets.
        const other = createTemporaryObject(serverComponent, testCase, { address: address, removeStaleSocket: true })
        verify(!other.listen())
        compare(other.error, SeqpacketSocket.AddressInUseError)
        server.close()
        verify(other.listen())
        other.close()
    }
}
