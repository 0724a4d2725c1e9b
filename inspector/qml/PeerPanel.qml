// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QSeqpacketInspector

// Who is at the other end: credentials with names, executable, security context, addresses,
// and the connection's buffers (what the kernel applied, and the largest packet they allow).
ColumnLayout {
    id: root
    property var session: null
    readonly property var info: session ? session.info : ({})
    spacing: 0

    function idWithName(id, name) {
        if (id === undefined || id < 0)
            return "—"
        return name ? id + "  (" + name + ")" : String(id)
    }

    function groupsText(groups) {
        if (!groups || groups.length === 0)
            return "—"
        return groups.map(g => g.name ? g.gid + " (" + g.name + ")" : String(g.gid)).join(", ")
    }

    function fieldValue(name) {
        const i = info
        const s = session
        if (!s)
            return ""
        switch (name) {
        case "peerPid": return i.pid > 0 ? String(i.pid) : (i.pid === 0 ? "0 (another pid namespace)" : "—")
        case "peerUser": return idWithName(i.uid, i.user)
        case "peerGroup": return idWithName(i.gid, i.group)
        case "peerGroups": return groupsText(i.groups)
        case "peerExecutable": return i.executable ? i.executable : (i.executableError || "—")
        case "peerCommandLine": return i.commandLine || "—"
        case "peerSecurityContext": return i.securityContext ? i.securityContext : "none"
        case "peerLocalAddress": return i.localAddress || "(unnamed)"
        case "peerPeerAddress": return i.peerAddress || "(unnamed)"
        case "peerSince": return Qt.formatDateTime(s.since, "yyyy-MM-dd HH:mm:ss")
                                 + (s.ended ? "  –  " + Qt.formatDateTime(s.until, "HH:mm:ss") : "")
        case "peerReceived": return s.log.packetsIn + " packets · " + Inspector.formatBytes(s.log.bytesIn)
                                    + " · " + s.log.descriptorsIn + " fd"
        case "peerSent": return s.log.packetsOut + " packets · " + Inspector.formatBytes(s.log.bytesOut)
        case "peerBuffers": return i.sendBufferSize > 0
                                   ? "send " + Inspector.formatBytes(i.sendBufferSize) + " · receive "
                                     + Inspector.formatBytes(i.receiveBufferSize)
                                   : "—"
        case "peerMaxPacket": return i.maxPacketSize > 0 ? Inspector.formatBytes(i.maxPacketSize)
                                                           + "  (" + i.maxPacketSize + " bytes)" : "—"
        }
        return ""
    }

    function fieldMuted(name) {
        const i = info
        switch (name) {
        case "peerExecutable": return !i.executable
        case "peerSecurityContext": return !i.securityContext
        case "peerLocalAddress": return !i.localAddress
        case "peerPeerAddress": return !i.peerAddress
        }
        return false
    }

    SectionHeader {
        text: "Peer"
        detail: session ? (session.role === "client" ? "the server we connected to" : "connected to us") : ""
    }

    ScrollView {
        id: scroll
        visible: root.session !== null
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        contentWidth: availableWidth

        GridLayout {
            id: grid
            width: scroll.availableWidth - 24
            x: 12
            y: 10
            columns: 2
            columnSpacing: 12
            rowSpacing: 7

            Repeater {
                // The rows are fixed; each value is a binding of its own, so traffic updates
                // one text, not the whole panel.
                model: root.session ? [
                    { label: "PID", name: "peerPid", mono: true },
                    { label: "User", name: "peerUser" },
                    { label: "Group", name: "peerGroup" },
                    { label: "Groups", name: "peerGroups" },
                    { label: "Executable", name: "peerExecutable", mono: true },
                    { label: "Command", name: "peerCommandLine", mono: true },
                    { label: "SELinux", name: "peerSecurityContext", mono: true },
                    { label: "Local address", name: "peerLocalAddress", mono: true },
                    { label: "Peer address", name: "peerPeerAddress", mono: true },
                    { label: "Buffers", name: "peerBuffers" },
                    { label: "Largest packet", name: "peerMaxPacket" },
                    { label: "Connected", name: "peerSince" },
                    { label: "Received", name: "peerReceived" },
                    { label: "Sent", name: "peerSent" }
                ] : []

                delegate: Item {
                    id: row
                    required property var modelData
                    Layout.columnSpan: 2
                    Layout.fillWidth: true
                    implicitHeight: Math.max(labelText.implicitHeight, valueText.implicitHeight)

                    Text {
                        id: labelText
                        width: 96
                        text: row.modelData.label
                        color: Theme.textMuted
                        font.pixelSize: Theme.smallFontSize + 1
                        topPadding: 1
                    }
                    TextEdit {
                        id: valueText
                        objectName: row.modelData.name
                        x: 104
                        width: parent.width - x
                        text: root.fieldValue(row.modelData.name)
                        readOnly: true
                        selectByMouse: true
                        wrapMode: row.modelData.mono ? TextEdit.WrapAnywhere : TextEdit.WordWrap
                        readonly property bool muted: root.fieldMuted(row.modelData.name)
                        color: muted ? Theme.textMuted : Theme.text
                        selectionColor: Theme.accent
                        font.family: row.modelData.mono ? Theme.mono : window.font.family
                        font.pixelSize: row.modelData.mono ? Theme.monoFontSize : Theme.fontSize
                        font.italic: muted
                    }
                }
            }
        }
    }

    Text {
        visible: !root.session
        Layout.fillWidth: true
        Layout.fillHeight: true
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        color: Theme.textMuted
        text: "No peer selected"
    }
}
