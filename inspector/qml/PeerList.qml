// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QSeqpacketInspector

// The connections: the server's peers when listening, our connections when connecting. Each has
// its own log; clicking one shows it.
ColumnLayout {
    id: root
    spacing: 0

    SectionHeader {
        text: window.mode === "listen" ? "Peers" : "Connections"
        detail: window.sessions.length === 0 ? "" : window.connectedCount + " connected · " + window.sessions.length + " total"
        Button {
            objectName: "clearEndedButton"
            text: "Clear ended"
            flat: true
            font.pixelSize: Theme.smallFontSize
            visible: window.sessions.length > window.connectedCount
            height: 24
            onClicked: window.removeEnded()
        }
    }

    ListView {
        id: list
        objectName: "peerList"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        model: window.sessions
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}

        delegate: Rectangle {
            id: item
            required property var modelData
            required property int index
            readonly property var session: modelData
            readonly property bool selected: session === window.currentSession
            objectName: "peerItem_" + index
            width: ListView.view.width
            height: 58
            color: selected ? Theme.selection : (hover.hovered ? Theme.hover : "transparent")

            Rectangle {
                visible: item.selected
                width: 3
                height: parent.height
                color: Theme.accent
            }

            HoverHandler { id: hover }
            TapHandler { onTapped: window.currentSession = item.session }

            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 14
                anchors.rightMargin: 12
                spacing: 10

                Rectangle {
                    width: 9
                    height: 9
                    radius: 4.5
                    color: item.session.connected ? Theme.incoming : Theme.textMuted
                    Layout.alignment: Qt.AlignVCenter
                }
                ColumnLayout {
                    spacing: 2
                    Layout.fillWidth: true
                    RowLayout {
                        spacing: 6
                        Text {
                            text: item.session.name
                            color: Theme.text
                            font.pixelSize: Theme.fontSize
                            font.bold: true
                            elide: Text.ElideRight
                            Layout.maximumWidth: 190
                        }
                        Text {
                            text: item.session.info.pid > 0 ? "pid " + item.session.info.pid : ""
                            color: Theme.textMuted
                            font.family: Theme.mono
                            font.pixelSize: Theme.smallFontSize
                        }
                        Item { Layout.fillWidth: true }
                        Text {
                            text: item.session.connected ? "" : "ended"
                            color: Theme.textMuted
                            font.pixelSize: Theme.smallFontSize
                            font.italic: true
                        }
                    }
                    Text {
                        Layout.fillWidth: true
                        elide: Text.ElideRight
                        color: Theme.textMuted
                        font.pixelSize: Theme.smallFontSize
                        text: {
                            const l = item.session.log
                            const who = item.session.info.user ? item.session.info.user : "uid " + item.session.info.uid
                            return who + "  ·  ▼ " + l.packetsIn + "  ▲ " + l.packetsOut
                                    + (l.descriptorsIn > 0 ? "  ·  " + l.descriptorsIn + " fd" : "")
                                    + (l.packetRateIn > 0 ? "  ·  " + Inspector.formatCount(l.packetRateIn) + "/s" : "")
                        }
                    }
                }
            }
            Rectangle {
                anchors.bottom: parent.bottom
                x: 14
                width: parent.width - 14
                height: 1
                color: Theme.border
                opacity: 0.6
            }
        }

        // Nothing yet: say what to do.
        Column {
            anchors.centerIn: parent
            width: parent.width - 40
            spacing: 6
            visible: list.count === 0
            Text {
                width: parent.width
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
                color: Theme.textMuted
                font.pixelSize: Theme.fontSize
                text: window.mode === "listen"
                      ? (server.listening ? "Waiting for peers on" : "Not listening")
                      : (window.running ? "Connecting…" : "Not connected")
            }
            Text {
                width: parent.width
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WrapAnywhere
                visible: window.mode === "listen" && server.listening
                color: Theme.text
                font.family: Theme.mono
                font.pixelSize: Theme.monoFontSize
                text: server.serverAddress
            }
        }
    }
}
