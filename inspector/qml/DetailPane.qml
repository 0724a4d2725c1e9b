// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QSeqpacketInspector

// The selected packet: a hex dump with ASCII (or its text), and what each descriptor refers to.
Rectangle {
    id: root
    objectName: "detailPane"
    property var entry: null
    readonly property bool isPacket: entry !== null && entry.kind !== "event"
    readonly property var packet: isPacket ? entry.packet : null
    readonly property var descriptors: packet && packet.descriptors ? packet.descriptors : []
    property string view: "hex"

    color: Theme.surface

    SplitView {
        anchors.fill: parent
        orientation: Qt.Horizontal
        handle: Rectangle {
            implicitWidth: 1
            color: SplitHandle.hovered || SplitHandle.pressed ? Theme.accent : Theme.border
        }

        // Payload.
        ColumnLayout {
            SplitView.fillWidth: true
            SplitView.minimumWidth: 300
            spacing: 0

            SectionHeader {
                text: root.isPacket ? "Packet #" + root.entry.number : "Packet"
                detail: {
                    if (!root.isPacket)
                        return ""
                    const e = root.entry
                    let s = (e.kind === "in" ? "received " : "sent ") + e.time + " · " + e.size + " bytes"
                    if (e.truncated)
                        s += " of " + e.originalSize + " (truncated)"
                    if (e.descriptorCount > 0)
                        s += " · " + e.descriptorCount + (e.descriptorCount === 1 ? " descriptor" : " descriptors")
                    // The sender of this very packet, from the pidfd that came with it.
                    const p = root.packet
                    if (p && p.senderPid > 0)
                        s += " · from pid " + p.senderPid
                             + (p.senderExecutable ? " (" + Inspector.fileName(p.senderExecutable) + ")" : "")
                    return s
                }
                Segmented {
                    id: viewSwitch
                    objectName: "payloadView"
                    height: 24
                    implicitHeight: 24
                    options: [
                        { value: "hex", text: "Hex", objectName: "payloadHex" },
                        { value: "text", text: "Text", objectName: "payloadText" }
                    ]
                    value: root.view
                    onActivated: v => root.view = v
                }
            }

            ScrollView {
                id: dumpScroll
                Layout.fillWidth: true
                Layout.fillHeight: true
                clip: true
                visible: root.isPacket

                TextArea {
                    id: dump
                    objectName: "hexDumpText"
                    readOnly: true
                    selectByMouse: true
                    wrapMode: root.view === "text" ? TextEdit.Wrap : TextEdit.NoWrap
                    font.family: Theme.mono
                    font.pixelSize: Theme.monoFontSize
                    color: Theme.text
                    selectionColor: Theme.accent
                    leftPadding: 12
                    topPadding: 10
                    background: null
                    textFormat: TextEdit.PlainText
                    text: {
                        if (!root.packet)
                            return ""
                        if (root.entry.size === 0)
                            return "(a zero-length packet)"
                        if (root.view === "text")
                            return root.packet.text + (root.entry.size > 4096 ? "\n\n… (the text of the first 4096 bytes)" : "")
                        return Inspector.hexDump(root.packet.data, 65536)
                    }
                }
            }
            Text {
                visible: !root.isPacket
                Layout.fillWidth: true
                Layout.fillHeight: true
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
                color: Theme.textMuted
                text: root.entry && root.entry.kind === "event" ? root.entry.text : "Select a packet to see its bytes"
            }
        }

        // Descriptors.
        ColumnLayout {
            SplitView.preferredWidth: 356
            SplitView.minimumWidth: 260
            spacing: 0

            SectionHeader {
                text: "Descriptors"
                detail: root.isPacket ? (root.descriptors.length === 0 ? "none" : root.descriptors.length + " with this packet")
                                      : ""
            }

            ListView {
                id: descriptorList
                objectName: "descriptorList"
                Layout.fillWidth: true
                Layout.fillHeight: true
                clip: true
                model: root.descriptors
                spacing: 8
                topMargin: 10
                bottomMargin: 10
                boundsBehavior: Flickable.StopAtBounds
                ScrollBar.vertical: ScrollBar {}

                delegate: DescriptorCard {
                    required property var modelData
                    required property int index
                    objectName: "descriptorCard_" + index
                    descriptor: modelData
                    width: ListView.view.width - 20
                    x: 10
                }

                Text {
                    anchors.centerIn: parent
                    width: parent.width - 40
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.WordWrap
                    visible: descriptorList.count === 0
                    color: Theme.textMuted
                    text: root.isPacket ? (root.entry.descriptorsTruncated ? "Descriptors came with this packet but did not fit; the kernel closed them"
                                                                           : "No descriptors came with this packet")
                                        : ""
                }
            }
        }
    }
}
