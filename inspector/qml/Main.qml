// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QSeqpacket
import QSeqpacketInspector

ApplicationWindow {
    id: window
    objectName: "inspectorWindow"
    width: 1280
    height: 800
    minimumWidth: 960
    minimumHeight: 600
    visible: true
    title: (running ? (mode === "listen" ? "Listening on " : "Connected to ") + activeAddress + " — " : "")
           + "QSeqpacket Inspector"
    color: Theme.window
    font.pixelSize: Theme.fontSize

    palette {
        window: Theme.window
        windowText: Theme.text
        base: Theme.surface
        alternateBase: Theme.surfaceAlt
        text: Theme.text
        button: Theme.raised
        buttonText: Theme.text
        brightText: Theme.text
        highlight: Theme.accent
        highlightedText: "#ffffff"
        placeholderText: Theme.textMuted
        light: Theme.dark ? "#3a414b" : "#ffffff"
        midlight: Theme.dark ? "#313842" : "#eceef1"
        mid: Theme.dark ? "#2a3038" : "#c9ced6"
        dark: Theme.dark ? "#111418" : "#a9b0ba"
        shadow: Theme.dark ? "#000000" : "#7a828c"
        toolTipBase: Theme.surface
        toolTipText: Theme.text
        link: Theme.accent
    }

    // "listen" or "connect"
    property string mode: Inspector.startMode !== "" ? Inspector.startMode : "listen"
    property var sessions: []
    property var currentSession: null
    property int sessionSerial: 0
    property string activeAddress: ""
    readonly property bool running: mode === "listen" ? server.listening
                                                      : client.state !== SeqpacketSocket.UnconnectedState

    // Traffic over every session, for the header.
    readonly property real packetRateIn: sum(s => s.log.packetRateIn)
    readonly property real packetRateOut: sum(s => s.log.packetRateOut)
    readonly property real byteRateIn: sum(s => s.log.byteRateIn)
    readonly property real byteRateOut: sum(s => s.log.byteRateOut)
    readonly property int connectedCount: sum(s => s.connected ? 1 : 0)

    function sum(f) {
        let total = 0
        for (const s of sessions)
            total += f(s)
        return total
    }

    SeqpacketServer {
        id: server
        removeStaleSocket: true
        decodeLimit: 4096
        descriptorPreviewSize: 512
        // Which process sent each packet, where the kernel can say (SO_PASSPIDFD, Linux 6.5).
        receiveOptions.senderProcesses: SeqpacketDiagnostics.senderProcessesSupported()
        // Frames of the message protocol (QSeqpacketChannel's), shown decoded.
        receiveOptions.decodeFrames: true
        onPeerConnected: peer => {
            const s = window.addSession(peer, "peer")
            const who = s.info.pid > 0 ? "pid " + s.info.pid + (s.info.name ? " (" + s.info.name + ")" : "") : "a peer"
            s.log.addEvent("connected: " + who + ", uid " + s.info.uid + (s.info.user ? " (" + s.info.user + ")" : ""))
        }
        onErrorOccurred: (error, message) => statusBar.show(message, true)
    }

    SeqpacketSocket {
        id: client
        decodeLimit: 4096
        descriptorPreviewSize: 512
        receiveOptions.senderProcesses: SeqpacketDiagnostics.senderProcessesSupported()
        receiveOptions.decodeFrames: true
        onConnected: window.addSession(client, "client")
        onErrorOccurred: (error, message) => statusBar.show(message, true)
    }

    Component {
        id: sessionComponent
        Session {}
    }

    function addSession(socket, role) {
        const s = sessionComponent.createObject(window, { socket: socket, role: role, serial: ++sessionSerial })
        sessions = sessions.concat([s])
        if (currentSession === null || !currentSession.connected)
            currentSession = s
        return s
    }

    function removeEnded() {
        const keep = []
        for (const s of sessions) {
            if (s.connected)
                keep.push(s)
            else if (s === currentSession)
                currentSession = null
        }
        const gone = sessions.filter(s => keep.indexOf(s) < 0)
        sessions = keep
        for (const s of gone)
            s.destroy()
        if (currentSession === null && sessions.length > 0)
            currentSession = sessions[0]
    }

    function start(address) {
        if (address !== undefined)
            toolbar.address = address
        const where = toolbar.address.trim()
        activeAddress = where
        if (mode === "listen") {
            if (server.listen(where)) {
                activeAddress = server.serverAddress
                statusBar.show("Listening on " + server.serverAddress, false)
                if (Inspector.demo)
                    Inspector.startDemoPeers(server.serverAddress)
            }
        } else {
            client.connectToServer(where)
            if (client.connected)
                statusBar.show("Connected to " + where, false)
        }
    }

    function stop() {
        if (mode === "listen") {
            server.close()
            server.abortPeers()
            Inspector.stopDemoPeers()
            statusBar.show("Stopped listening", false)
        } else {
            client.disconnectFromServer()
        }
    }

    function switchMode(newMode) {
        if (newMode === mode)
            return
        if (running)
            stop()
        mode = newMode
    }

    header: InspectorToolBar {
        id: toolbar
        objectName: "toolbar"
    }

    SplitView {
        id: mainSplit
        anchors.fill: parent
        orientation: Qt.Horizontal

        handle: Rectangle {
            implicitWidth: 1
            implicitHeight: 1
            color: SplitHandle.hovered || SplitHandle.pressed ? Theme.accent : Theme.border
        }

        // Peers and the selected peer's details.
        Rectangle {
            SplitView.preferredWidth: 320
            SplitView.minimumWidth: 240
            color: Theme.surface

            ColumnLayout {
                anchors.fill: parent
                spacing: 0

                PeerList {
                    id: peerList
                    Layout.fillWidth: true
                    Layout.preferredHeight: Math.max(160, parent.height * 0.36)
                }
                Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }
                PeerPanel {
                    id: peerPanel
                    session: window.currentSession
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                }
            }
        }

        // The log and the selected packet.
        SplitView {
            orientation: Qt.Vertical
            SplitView.fillWidth: true

            handle: Rectangle {
                implicitWidth: 1
                implicitHeight: 1
                color: SplitHandle.hovered || SplitHandle.pressed ? Theme.accent : Theme.border
            }

            LogView {
                id: logView
                session: window.currentSession
                SplitView.preferredHeight: 360
                SplitView.minimumHeight: 160
            }

            DetailPane {
                id: detailPane
                entry: logView.currentEntry
                onEntryLinkActivated: number => logView.selectNumber(number)
                SplitView.fillHeight: true
                SplitView.minimumHeight: 160
            }
        }
    }

    footer: ColumnLayout {
        spacing: 0
        SendBox {
            id: sendBox
            objectName: "sendBox"
            session: window.currentSession
            Layout.fillWidth: true
            onSent: logView.followTail()
            onFailed: message => statusBar.show(message, true)
        }
        StatusBar {
            id: statusBar
            Layout.fillWidth: true
        }
    }

    Component.onCompleted: {
        if (Inspector.startMode !== "")
            start(Inspector.startAddress)
    }
}
