// SPDX-License-Identifier: MIT
import QtQuick
import QSeqpacket
import QSeqpacketInspector

// One connection the Inspector watches: a peer of its server or its own client connection. Keeps
// the peer's details and the log after the connection is gone.
QtObject {
    id: session

    property SeqpacketSocket socket: null
    property string role: "peer"          // "peer": accepted by our server; "client": our connection
    property int serial: 0
    property date since: new Date()
    property date until: new Date()
    property bool ended: false
    property var info: ({})

    readonly property bool connected: socket !== null && socket.connected && !ended
    // The executable's file name where we may read it, else the kernel's (15 character) name.
    readonly property string name: info.executable ? Inspector.fileName(info.executable)
                                                   : (info.name ? info.name : (role === "client" ? "server" : "peer"))
    readonly property string title: info.pid > 0 ? name + "  ·  pid " + info.pid : name

    property PacketLog log: PacketLog {
        source: session.socket
        maxEntries: 20000
    }

    function snapshot() {
        if (!socket)
            return
        // The peer's process as /proc shows it now, when the connection is new.
        const process = SeqpacketDiagnostics.peerProcess(socket)
        info = {
            credentialsValid: socket.peerCredentialsValid,
            pid: socket.peerPid,
            uid: socket.peerUid,
            gid: socket.peerGid,
            user: socket.peerUser,
            group: socket.peerGroup,
            groups: socket.peerGroups,
            executable: process.executable,
            executableError: process.executableError,
            commandLine: process.commandLine,
            name: process.name,
            securityContext: socket.peerSecurityContext,
            sendBufferSize: socket.sendBufferSize,
            receiveBufferSize: socket.receiveBufferSize,
            maxPacketSize: socket.maxPacketSize,
            localAddress: socket.localAddress,
            peerAddress: socket.peerAddress
        }
    }

    function send(kind, text, attachment) {
        if (!connected)
            return false
        let data = text
        if (kind === "hex") {
            data = Inspector.hexToBytes(text)
            if (data === undefined)
                return false
        }
        if (attachment && attachment.length > 0)
            return socket.sendFile(attachment, data)
        return kind === "hex" ? socket.sendBytes(data) : socket.sendText(text)
    }

    property Connections watcher: Connections {
        target: session.socket
        function onDisconnected() {
            session.ended = true
            session.until = new Date()
            // Let the log record the end first, then let go of the socket (a server deletes its
            // peers once they are gone; a client socket is reused for the next connection).
            Qt.callLater(() => { session.socket = null })
        }
        function onPeerChanged() { session.snapshot() }
    }

    Component.onCompleted: snapshot()
}
