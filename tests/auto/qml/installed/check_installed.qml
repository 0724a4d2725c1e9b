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

    function test_roundTrip() {
        verify(server.listening, server.errorString)
        socket.connectToServer(server.address)
        verify(socket.connected, socket.errorString)
        verify(socket.sendText("installed"))
        tryCompare(spy, "count", 1, 5000)
        compare(spy.signalArguments[0][1].text, "installed")
    }
}
