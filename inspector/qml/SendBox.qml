// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import QSeqpacketInspector

// Send a packet to the selected connection: text or hex, optionally with a file's descriptor.
Rectangle {
    id: root
    property var session: null
    property string attachment: ""        // a local path
    readonly property bool canSend: session !== null && session.connected
    readonly property bool hexMode: kindSwitch.value === "hex"
    readonly property bool hexValid: !hexMode || Inspector.isValidHex(input.text)
    signal sent()
    signal failed(string message)

    implicitHeight: 60
    color: Theme.surface

    function send() {
        if (!canSend || !hexValid)
            return false
        const ok = session.send(kindSwitch.value, input.text, attachment)
        if (ok) {
            attachment = ""
            input.selectAll()
            sent()
        } else if (session.socket) {
            failed(session.socket.errorString)
        }
        return ok
    }

    Rectangle { anchors.top: parent.top; width: parent.width; height: 1; color: Theme.border }

    FileDialog {
        id: fileDialog
        objectName: "fileDialog"
        title: "Attach a file: its descriptor goes with the packet"
        onAccepted: root.attachment = Inspector.localPath(selectedFile)
    }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 14
        anchors.rightMargin: 14
        spacing: 10

        Text {
            text: "Send"
            color: Theme.textMuted
            font.pixelSize: Theme.smallFontSize
            font.bold: true
            font.capitalization: Font.AllUppercase
            font.letterSpacing: 0.8
        }
        Segmented {
            id: kindSwitch
            objectName: "sendKind"
            options: [
                { value: "text", text: "Text", objectName: "sendKindText" },
                { value: "hex", text: "Hex", objectName: "sendKindHex" }
            ]
        }
        TextField {
            id: input
            objectName: "sendTextField"
            Layout.fillWidth: true
            enabled: root.canSend
            selectByMouse: true
            font.family: root.hexMode ? Theme.mono : window.font.family
            placeholderText: !root.canSend ? "Select a connected peer to send to it"
                                           : (root.hexMode ? "Hex bytes: 48 65 6c 6c 6f, 0x00:0xff, deadbeef"
                                                           : "Text to send as one packet (UTF-8)")
            color: root.hexValid ? Theme.text : Theme.error
            onAccepted: root.send()
            ToolTip.visible: !root.hexValid && activeFocus
            ToolTip.text: "Not hex: pairs of hex digits, spaces or : between them"
        }
        // The attached file, with a button to drop it.
        Rectangle {
            visible: root.attachment !== ""
            objectName: "attachmentChip"
            radius: height / 2
            color: Theme.descriptorSoft
            implicitHeight: 28
            implicitWidth: chipRow.implicitWidth + 18
            Layout.maximumWidth: 260
            Row {
                id: chipRow
                anchors.centerIn: parent
                spacing: 6
                Text {
                    text: "📎 " + Inspector.fileName(root.attachment)
                    color: Theme.descriptor
                    font.pixelSize: Theme.smallFontSize + 1
                    elide: Text.ElideMiddle
                    width: Math.min(implicitWidth, 200)
                    anchors.verticalCenter: parent.verticalCenter
                }
                Text {
                    text: "✕"
                    color: Theme.descriptor
                    font.pixelSize: Theme.smallFontSize + 1
                    anchors.verticalCenter: parent.verticalCenter
                    TapHandler { onTapped: root.attachment = "" }
                }
            }
            ToolTip.visible: chipHover.hovered
            ToolTip.text: root.attachment + "\nopened read-only; its descriptor is sent with the packet"
            HoverHandler { id: chipHover }
        }
        Button {
            objectName: "attachButton"
            text: "Attach file…"
            enabled: root.canSend
            onClicked: fileDialog.open()
            ToolTip.visible: hovered
            ToolTip.delay: 500
            ToolTip.text: "Open a file and send its descriptor with the packet (SCM_RIGHTS)"
        }
        Button {
            id: sendButton
            objectName: "sendButton"
            text: root.attachment !== "" ? "Send with fd" : "Send"
            highlighted: true
            enabled: root.canSend && root.hexValid
            Layout.preferredWidth: 110
            onClicked: root.send()
        }
    }
}
