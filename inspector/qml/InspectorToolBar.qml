// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QSeqpacket
import QSeqpacketInspector

// The top bar: listen or connect, the address, start/stop, the state, traffic rates, the theme.
Rectangle {
    id: bar
    property alias address: addressField.text

    implicitHeight: 56
    color: Theme.surface

    Rectangle {
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: Theme.border
    }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 14
        anchors.rightMargin: 14
        spacing: 10

        // The app's mark: a packet with a descriptor.
        Rectangle {
            width: 28
            height: 28
            radius: 7
            color: Theme.accent
            Rectangle {
                x: 6; y: 8; width: 16; height: 12; radius: 2
                color: "transparent"
                border.color: "#ffffff"
                border.width: 2
            }
            Rectangle { x: 17; y: 5; width: 7; height: 7; radius: 3.5; color: Theme.descriptor; border.color: "#ffffff"; border.width: 1.5 }
        }
        ColumnLayout {
            spacing: 0
            Text {
                text: "QSeqpacket Inspector"
                color: Theme.text
                font.pixelSize: Theme.titleFontSize
                font.bold: true
            }
            Text {
                text: "AF_UNIX SOCK_SEQPACKET"
                color: Theme.textMuted
                font.pixelSize: Theme.smallFontSize - 1
                font.letterSpacing: 0.5
            }
        }


        Segmented {
            id: modeSwitch
            objectName: "modeSwitch"
            options: [
                { value: "listen", text: "Listen", objectName: "modeListen" },
                { value: "connect", text: "Connect", objectName: "modeConnect" }
            ]
            value: window.mode
            onActivated: v => window.switchMode(v)
        }

        TextField {
            id: addressField
            objectName: "addressField"
            Layout.minimumWidth: 220
            Layout.preferredWidth: 340
            Layout.fillWidth: true
            Layout.maximumWidth: 440
            text: Inspector.startAddress !== "" ? Inspector.startAddress : Inspector.defaultAddress
            placeholderText: window.mode === "listen" ? "@abstract-name or /path (empty: the kernel picks)" : "@abstract-name or /path"
            font.family: Theme.mono
            font.pixelSize: Theme.monoFontSize + 1
            enabled: !window.running
            selectByMouse: true
            onAccepted: window.start()
            // Show where a long address begins.
            onTextChanged: if (!activeFocus) cursorPosition = 0
            Component.onCompleted: cursorPosition = 0
        }

        Button {
            id: startButton
            objectName: "startButton"
            text: window.running ? "Stop" : (window.mode === "listen" ? "Listen" : "Connect")
            highlighted: !window.running
            Layout.preferredWidth: 84
            onClicked: window.running ? window.stop() : window.start()
        }

        // State: a dot and a sentence.
        Row {
            spacing: 6
            Layout.alignment: Qt.AlignVCenter
            Rectangle {
                width: 10
                height: 10
                radius: 5
                anchors.verticalCenter: parent.verticalCenter
                color: window.running ? Theme.incoming : Theme.textMuted
            }
            Text {
                objectName: "stateLabel"
                anchors.verticalCenter: parent.verticalCenter
                color: window.running ? Theme.text : Theme.textMuted
                font.pixelSize: Theme.fontSize
                text: {
                    if (window.mode === "listen")
                        return server.listening ? "Listening · " + window.connectedCount + (window.connectedCount === 1 ? " peer" : " peers")
                                                : "Not listening"
                    switch (client.state) {
                    case SeqpacketSocket.ConnectedState: return "Connected"
                    case SeqpacketSocket.ConnectingState: return "Connecting…"
                    case SeqpacketSocket.ClosingState: return "Closing…"
                    default: return "Not connected"
                    }
                }
            }
        }

        Item { Layout.fillWidth: true }

        // Packets and bytes per second, in and out.
        Rectangle {
            objectName: "rates"
            radius: Theme.radius
            color: Theme.surfaceAlt
            border.color: Theme.border
            implicitWidth: rateRow.implicitWidth + 16
            implicitHeight: 34
            Row {
                id: rateRow
                anchors.centerIn: parent
                spacing: 10
                Row {
                    spacing: 5
                    Text { text: "▼"; color: Theme.incoming; font.pixelSize: Theme.smallFontSize; anchors.verticalCenter: parent.verticalCenter }
                    Text {
                        objectName: "rateIn"
                        width: Math.max(implicitWidth, 136)
                        color: Theme.text
                        font.family: Theme.mono
                        font.pixelSize: Theme.monoFontSize
                        anchors.verticalCenter: parent.verticalCenter
                        text: Inspector.formatCount(window.packetRateIn) + " pkt/s  " + Inspector.formatBytes(window.byteRateIn) + "/s"
                    }
                }
                Rectangle { width: 1; height: 18; color: Theme.border; anchors.verticalCenter: parent.verticalCenter }
                Row {
                    spacing: 5
                    Text { text: "▲"; color: Theme.outgoing; font.pixelSize: Theme.smallFontSize; anchors.verticalCenter: parent.verticalCenter }
                    Text {
                        objectName: "rateOut"
                        width: Math.max(implicitWidth, 136)
                        color: Theme.text
                        font.family: Theme.mono
                        font.pixelSize: Theme.monoFontSize
                        anchors.verticalCenter: parent.verticalCenter
                        text: Inspector.formatCount(window.packetRateOut) + " pkt/s  " + Inspector.formatBytes(window.byteRateOut) + "/s"
                    }
                }
            }
        }

    }
}
