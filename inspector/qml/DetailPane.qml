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
    // The frame of the message protocol in the packet (receiveOptions.decodeFrames), or null.
    readonly property var frame: packet && packet.frame ? packet.frame : null
    readonly property bool isFrame: frame !== null && frame.valid === true
    property string view: "hex"

    // Selects the log entry numbered n: the request a reply answers, the reply a request got.
    signal entryLinkActivated(int number)

    function frameSummary() {
        if (!isFrame)
            return ""
        return frame.typeName + (frame.type !== 0 ? " #" + frame.id : "") + (frame.name ? " " + frame.name : "")
    }

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

            // The decoded frame: type, id, name, body in CBOR diagnostic notation; where it came
            // from (a sealed memfd) and which entry answers it or it answers.
            Rectangle {
                id: frameBlock
                objectName: "frameBlock"
                visible: root.frame !== null
                Layout.fillWidth: true
                implicitHeight: frameColumn.implicitHeight + 16
                color: Theme.surfaceAlt
                Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: Theme.border }

                ColumnLayout {
                    id: frameColumn
                    x: 12
                    y: 8
                    width: parent.width - 24
                    spacing: 6

                    RowLayout {
                        spacing: 8
                        Layout.fillWidth: true
                        Badge {
                            objectName: "frameType"
                            text: root.isFrame ? root.frame.typeName : "not a frame"
                            foreground: Theme.frameColor(root.isFrame ? root.frame.typeName : "invalid")
                            background: Theme.frameSoftColor(root.isFrame ? root.frame.typeName : "invalid")
                        }
                        Text {
                            objectName: "frameId"
                            visible: root.isFrame && root.frame.type !== 0
                            text: root.isFrame ? "#" + root.frame.id : ""
                            color: Theme.textMuted
                            font.family: Theme.mono
                            font.pixelSize: Theme.fontSize
                        }
                        Text {
                            objectName: "frameName"
                            visible: root.isFrame && root.frame.name !== ""
                            text: root.isFrame ? root.frame.name : ""
                            color: Theme.text
                            font.family: Theme.mono
                            font.pixelSize: Theme.fontSize
                            font.bold: true
                            elide: Text.ElideRight
                            Layout.maximumWidth: 260
                        }
                        Badge {
                            objectName: "frameSpilled"
                            visible: root.isFrame && root.frame.spilled === true
                            text: visible ? "spilled · " + Inspector.formatBytes(root.frame.spilledSize) + " in a memfd (fd "
                                            + (root.descriptors.length > 0 ? root.descriptors[0].number : "?") + ")" : ""
                            foreground: Theme.descriptor
                            background: Theme.descriptorSoft
                            bold: false
                        }
                        Badge {
                            visible: root.isFrame && root.frame.descriptorCount > 0
                            text: visible ? root.frame.descriptorCount + " fd" : ""
                            foreground: Theme.descriptor
                            background: Theme.descriptorSoft
                        }
                        Item { Layout.fillWidth: true }
                        Text {
                            id: frameLink
                            objectName: "frameLink"
                            readonly property int target: !root.isFrame || !root.entry ? 0
                                    : (root.frame.typeName === "request" ? root.entry.answeredBy : root.entry.answers)
                            visible: root.isFrame && (root.frame.typeName === "request" || target > 0)
                            text: {
                                if (!visible)
                                    return ""
                                if (root.frame.typeName === "request")
                                    return target > 0 ? "answered by #" + target + " after " + root.entry.answerDelay + " ms"
                                                      : "no reply yet"
                                return "answers request #" + target
                            }
                            color: target > 0 ? Theme.accent : Theme.warning
                            font.pixelSize: Theme.smallFontSize + 1
                            font.underline: target > 0 && linkHover.hovered
                            HoverHandler { id: linkHover; enabled: frameLink.target > 0; cursorShape: Qt.PointingHandCursor }
                            TapHandler { enabled: frameLink.target > 0; onTapped: root.entryLinkActivated(frameLink.target) }
                        }
                    }
                    Text {
                        objectName: "frameError"
                        visible: root.frame !== null && !root.isFrame
                        Layout.fillWidth: true
                        text: visible ? "The packet starts like a frame of the message protocol but is not one: " + root.frame.error : ""
                        color: Theme.warning
                        wrapMode: Text.Wrap
                        font.pixelSize: Theme.smallFontSize + 1
                    }
                    // The body, five lines at most; select and scroll for the rest.
                    Flickable {
                        visible: root.isFrame
                        Layout.fillWidth: true
                        implicitHeight: frameBody.lineCount <= 5 ? frameBody.implicitHeight
                                                                 : Math.ceil(frameBody.contentHeight / frameBody.lineCount * 5)
                        contentHeight: frameBody.implicitHeight
                        clip: true
                        boundsBehavior: Flickable.StopAtBounds
                        ScrollBar.vertical: ScrollBar {}
                        TextEdit {
                            id: frameBody
                            objectName: "frameBody"
                            width: parent.width
                            readOnly: true
                            selectByMouse: true
                            wrapMode: TextEdit.WrapAnywhere
                            textFormat: TextEdit.PlainText
                            color: Theme.text
                            selectionColor: Theme.accent
                            font.family: Theme.mono
                            font.pixelSize: Theme.monoFontSize
                            text: root.isFrame ? root.frame.body + (root.frame.bodyTruncated ? " …" : "") : ""
                        }
                    }
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
                    // A spilled frame's memfd comes first: say what it holds, decoded.
                    note: index === 0 && root.isFrame && root.frame.spilled === true
                          ? "Holds the spilled frame (" + root.frame.spilledSize + " bytes of CBOR): " + root.frameSummary()
                          : ""
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
