// SPDX-License-Identifier: MIT
// Run by qml-installed with qmltestrunner outside the build tree: `import QSeqpacket` must come
// from the installed module (QML_IMPORT_PATH) and work.
import QtQuick
import QtTest
import QSeqpacket

TestCase {
    name: "InstalledModule"

    SeqpacketServer { id: server; address: "@qseqpacket-installed-" + Date.now(); listening: true }
    SeqpacketSocket { id: socket }
    SignalSpy { id: spy; target: server; signalName: "packetReceived" }

    // A channel on each side: the installed module has SeqpacketChannel too.
    SeqpacketServer {
        id: channelServer
        address: "@qseqpacket-installed-channel-" + Date.now()
        listening: true
        onPeerConnected: peer => { answering.socket = peer }
    }
    SeqpacketChannel { id: answering; requestHandler: request => request.body * 2 }
    SeqpacketSocket { id: channelClient }
    SeqpacketChannel { id: asking; socket: channelClient }

    function test_channel() {
        channelClient.connectToServer(channelServer.address)
        verify(channelClient.connected, channelClient.errorString)
        let reply = null
        asking.request("double", 21, r => { reply = r })
        tryVerify(() => reply !== null, 5000)
        compare(reply.error, false)
        compare(reply.body, 42)
    }

    function test_roundTrip() {
        verify(server.listening, server.errorString)
        socket.connectToServer(server.address)
        verify(socket.connected, socket.errorString)
        verify(socket.sendText("installed"))
        tryCompare(spy, "count", 1, 5000)
        compare(spy.signalArguments[0][1].text, "installed")
    }
}
