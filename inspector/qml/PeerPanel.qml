// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QSeqpacketInspector

// Who is at the other end: credentials with names, executable, security context, addresses.
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
                model: root.session ? [
                    { label: "PID", value: root.info.pid > 0 ? String(root.info.pid) : (root.info.pid === 0 ? "0 (another pid namespace)" : "—"), name: "peerPid", mono: true },
                    { label: "User", value: root.idWithName(root.info.uid, root.info.user), name: "peerUser", mono: false },
                    { label: "Group", value: root.idWithName(root.info.gid, root.info.group), name: "peerGroup", mono: false },
                    { label: "Groups", value: root.groupsText(root.info.groups), name: "peerGroups", mono: false },
                    { label: "Executable", value: root.info.executable ? root.info.executable : (root.info.executableError || "—"), name: "peerExecutable", mono: true, muted: !root.info.executable },
                    { label: "Command", value: root.info.commandLine || "—", name: "peerCommandLine", mono: true },
                    { label: "SELinux", value: root.info.securityContext ? root.info.securityContext : "none", name: "peerSecurityContext", mono: true, muted: !root.info.securityContext },
                    { label: "Local address", value: root.info.localAddress || "(unnamed)", name: "peerLocalAddress", mono: true, muted: !root.info.localAddress },
                    { label: "Peer address", value: root.info.peerAddress || "(unnamed)", name: "peerPeerAddress", mono: true, muted: !root.info.peerAddress },
                    { label: "Connected", value: Qt.formatDateTime(root.session.since, "yyyy-MM-dd HH:mm:ss") + (root.session.ended ? "  –  " + Qt.formatDateTime(root.session.until, "HH:mm:ss") : ""), name: "peerSince", mono: false },
                    { label: "Received", value: root.session.log.packetsIn + " packets · " + Inspector.formatBytes(root.session.log.bytesIn) + " · " + root.session.log.descriptorsIn + " fd", name: "peerReceived", mono: false },
                    { label: "Sent", value: root.session.log.packetsOut + " packets · " + Inspector.formatBytes(root.session.log.bytesOut), name: "peerSent", mono: false }
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
                        text: row.modelData.value
                        readOnly: true
                        selectByMouse: true
                        wrapMode: TextEdit.WrapAnywhere
                        color: row.modelData.muted ? Theme.textMuted : Theme.text
                        selectionColor: Theme.accent
                        font.family: row.modelData.mono ? Theme.mono : window.font.family
                        font.pixelSize: row.modelData.mono ? Theme.monoFontSize : Theme.fontSize
                        font.italic: !!row.modelData.muted
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
