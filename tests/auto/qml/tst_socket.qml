// SPDX-License-Identifier: MIT
// SeqpacketSocket as a client of a peer process that listens and describes every packet it gets.
import QtQuick
import QtTest
import QSeqpacket
import QSeqpacketTest

TestCase {
    id: testCase
    name: "SeqpacketSocket"

    TestPeer { id: peer }

    Component {
        id: socketComponent
        SeqpacketSocket {}
    }

    SignalSpy { id: packetSpy; signalName: "packetReceived" }
    SignalSpy { id: sentSpy; signalName: "packetSent" }
    SignalSpy { id: errorSpy; signalName: "errorOccurred" }
    SignalSpy { id: connectedSpy; signalName: "connected" }
    SignalSpy { id: disconnectedSpy; signalName: "disconnected" }

    function makeSocket(address) {
        const socket = createTemporaryObject(socketComponent, testCase, { address: address })
        verify(socket)
        for (const spy of [packetSpy, sentSpy, errorSpy, connectedSpy, disconnectedSpy]) {
            spy.clear()
            spy.target = socket
        }
        return socket
    }

    function reply(i) {
        return JSON.parse(packetSpy.signalArguments[i][0].text)
    }

    function test_enumsResolve() {
        // SeqpacketSocket shows the library's own State and SocketError (no copies that could
        // drift), every value under the name C++ gives it, beside the module's InvalidDataError.
        const library = peer.librarySocketEnums()
        const names = Object.keys(library)
        verify(names.length >= 4 + 15, names.join(","))
        for (const name of names)
            compare(SeqpacketSocket[name], library[name], name)
        for (const name of ["UnconnectedState", "ConnectingState", "ConnectedState", "ClosingState",
                            "NoError", "ConnectionRefusedError", "ServerNotFoundError",
                            "InvalidAddressError", "AddressInUseError"])
            verify(names.indexOf(name) >= 0, name)
        compare(SeqpacketSocket.InvalidDataError, 1000)
        verify(names.every(name => library[name] !== SeqpacketSocket.InvalidDataError))
        // The server's own enum.
        const access = [SeqpacketServer.DefaultAccess, SeqpacketServer.UserAccess,
                        SeqpacketServer.GroupAccess, SeqpacketServer.WorldAccess]
        for (const value of access)
            compare(typeof value, "number")
        compare(new Set(access).size, 4)
    }

    function test_connectFailures() {
        const socket = makeSocket(peer.uniqueAbstractAddress("nobody"))
        socket.connectToServer()
        compare(socket.state, SeqpacketSocket.UnconnectedState)
        compare(socket.error, SeqpacketSocket.ConnectionRefusedError)
        verify(socket.errorString.length > 0)
        compare(errorSpy.count, 1)

        socket.connectToServer("/nonexistent/dir/socket")
        compare(socket.error, SeqpacketSocket.ServerNotFoundError)
        compare(socket.address, "/nonexistent/dir/socket")

        socket.connectToServer("@" + "x".repeat(200))
        compare(socket.error, SeqpacketSocket.InvalidAddressError)

        // Sending while unconnected fails with an error, nothing crashes.
        verify(!socket.sendText("nobody listens"))
        verify(socket.error !== SeqpacketSocket.NoError)
        compare(socket.packetsSent, 0)
    }

    function test_sendEverything() {
        const address = peer.uniqueAbstractAddress("client")
        const socket = makeSocket(address)
        const file = peer.writeTempFile("attached.txt", "attached file content")
        verify(file.length > 0)
        verify(peer.start(["--listen", address, "echo:8", "wait-eof"]))

        socket.connectToServer()
        compare(socket.state, SeqpacketSocket.ConnectedState)
        verify(socket.connected)
        compare(connectedSpy.count, 1)
        compare(socket.peerPid, peer.pid)
        compare(socket.peerUid, peer.currentUid())
        compare(socket.peerAddress, address)
        verify(socket.peerUser.length > 0)
        const fdsBefore = peer.openDescriptorCount()

        verify(socket.sendText("héllo"))
        verify(socket.sendHex("de ad:be-ef 0x00"))
        verify(!socket.sendHex("abc"))                       // odd number of digits
        compare(socket.error, SeqpacketSocket.InvalidDataError)
        verify(!socket.sendHex("zz"))
        verify(socket.sendBytes(new Uint8Array([1, 2, 3, 255]).buffer))   // ArrayBuffer
        verify(socket.sendBytes(new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 3)))  // a typed array view
        verify(socket.sendBytes([0, 128, 255]))             // a list of byte values
        verify(!socket.sendBytes([0, 256]))
        verify(socket.sendFile(file, "here is a file"))
        verify(socket.sendFile("file://" + file))            // a URL, no payload
        verify(socket.sendMemfd("note", "memfd payload", "memfd"))
        verify(!socket.sendFile("/nonexistent/file"))
        compare(socket.error, SeqpacketSocket.InvalidDataError)
        verify(socket.errorString.indexOf("/nonexistent/file") >= 0)

        compare(socket.packetsSent, 8)
        compare(socket.descriptorsSent, 3)
        compare(sentSpy.count, 8)
        compare(sentSpy.signalArguments[0][0].direction, "out")
        compare(sentSpy.signalArguments[0][0].text, "héllo")
        compare(sentSpy.signalArguments[5][0].descriptors[0].target, file)
        compare(sentSpy.signalArguments[5][0].descriptors[0].firstBytesText, "attached file content")
        // Our copies of the sent descriptors are closed again.
        compare(peer.openDescriptorCount(), fdsBefore)

        tryCompare(packetSpy, "count", 8, 5000)
        compare(reply(0).hex, "68c3a96c6c6f")
        compare(reply(1).hex, "deadbeef00")
        compare(reply(2).hex, "010203ff")
        compare(reply(3).hex, "0807")
        compare(reply(4).hex, "0080ff")
        compare(reply(5).hex, peer.hexOf(sentSpy.signalArguments[5][0].data))
        compare(reply(5).fds, 1)
        compare(reply(5).fd0, peer.hexOf(sentSpy.signalArguments[5][0].descriptors[0].firstBytes))
        compare(reply(6).size, 0)
        compare(reply(6).fds, 1)
        compare(reply(7).fds, 1)
        compare(reply(7).hex, "6d656d6664")   // "memfd"
        compare(reply(7).fd0, "6d656d6664207061796c6f6164")  // "memfd payload"

        compare(socket.packetsReceived, 8)
        verify(socket.bytesReceived > 0)
        const expectedBytes = 6 + 5 + 4 + 2 + 3 + 14 + 0 + 5
        compare(socket.bytesSent, expectedBytes)

        socket.disconnectFromServer()
        tryCompare(socket, "state", SeqpacketSocket.UnconnectedState, 5000)
        compare(disconnectedSpy.count, 1)
        tryCompare(peer, "finished", true, 5000)
        compare(peer.exitCode, 0)
    }

    function test_serverGoesAway() {
        const address = peer.uniqueAbstractAddress("away")
        const socket = makeSocket(address)
        verify(peer.start(["--listen", address, "text:last words"]))
        socket.connectToServer()
        verify(socket.connected)
        tryCompare(disconnectedSpy, "count", 1, 5000)
        compare(packetSpy.count, 1)
        compare(packetSpy.signalArguments[0][0].text, "last words")
        compare(socket.state, SeqpacketSocket.UnconnectedState)
        // The peer's details stay readable after it left.
        compare(socket.peerPid, peer.pid)
    }

    function test_senderProcessesAndBuffers() {
        // With receiveOptions.senderProcesses each received packet names the process that sent
        // it (a pidfd per packet, Linux 6.5); the connection's buffers are properties.
        const address = peer.uniqueAbstractAddress("sender")
        const socket = makeSocket(address)
        compare(socket.sendBufferSize, -1)
        compare(socket.maxPacketSize, -1)
        const supported = SeqpacketDiagnostics.senderProcessesSupported()
        socket.receiveOptions.senderProcesses = supported
        compare(errorSpy.count, 0)
        verify(peer.start(["--listen", address, "text:from the peer", "wait-eof"]))
        socket.connectToServer()
        verify(socket.connected)
        verify(socket.sendBufferSize > 0)
        verify(socket.receiveBufferSize > 0)
        compare(socket.maxPacketSize, socket.sendBufferSize - 32)
        tryCompare(packetSpy, "count", 1, 5000)
        const packet = packetSpy.signalArguments[0][0]
        compare(packet.text, "from the peer")
        if (!supported) {
            verify(packet.senderPid === undefined)
            socket.abort()
            skip("this kernel has no SO_PASSPIDFD (Linux 6.5)")
        }
        compare(packet.senderPid, peer.pid)
        verify(packet.senderExecutable.endsWith("qseqpacket_qml_test_peer"), packet.senderExecutable)
        socket.abort()
        tryCompare(peer, "finished", true, 5000)
    }

    Component {
        id: recordingServer
        SeqpacketServer {
            property var lastDescriptor: null
            property int openDuringHandler: -1
            listening: true
            onDescriptorReceived: (client, descriptor, packet) => {
                lastDescriptor = descriptor
                openDuringHandler = peer.openDescriptorCount()   // TestPeer's count
            }
        }
    }

    function test_inProcessPair() {
        // A server and a client of the module in one engine; the received descriptor is open
        // while the handler runs and closed after it.
        const address = peer.uniqueAbstractAddress("pair")
        const server = createTemporaryObject(recordingServer, testCase, { address: address })
        verify(server.listening)
        const socket = makeSocket(address)
        socket.connectToServer()
        tryCompare(server, "peerCount", 1, 5000)
        compare(server.peers.get(0).peerPid, peer.currentPid())
        compare(server.peers.count, 1)
        const before = peer.openDescriptorCount()
        verify(socket.sendMemfd("pair", "shared bytes", "x"))
        tryVerify(() => server.lastDescriptor !== null, 5000)
        compare(server.lastDescriptor.firstBytesText, "shared bytes")
        compare(server.lastDescriptor.seals, "seal,shrink,grow,write")
        compare(server.openDuringHandler, before + 1)
        compare(peer.openDescriptorCount(), before)
        socket.abort()
        tryCompare(server, "peerCount", 0, 5000)
    }
}
