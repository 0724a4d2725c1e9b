// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import QSeqpacketInspector

// One descriptor of a packet: its number, what /proc/self/fd says it is, and for a regular file
// or memfd its first bytes.
Rectangle {
    id: card
    property var descriptor: ({})
    readonly property var d: descriptor
    // What the packet says this descriptor is for (a spilled frame's memfd), or "".
    property string note: ""

    implicitHeight: column.implicitHeight + 20
    radius: Theme.radius
    color: Theme.surfaceAlt
    border.color: Theme.border

    readonly property bool printable: !!d.firstBytesText && /^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(d.firstBytesText)
                                      && d.firstBytesText.indexOf("\ufffd") < 0

    function sizeText() {
        if (d.size === undefined || d.size < 0)
            return "—"
        return d.size >= 1024 ? Inspector.formatBytes(d.size) + " (" + d.size + ")" : d.size + " bytes"
    }

    ColumnLayout {
        id: column
        x: 10
        y: 10
        width: parent.width - 20
        spacing: 6

        RowLayout {
            spacing: 8
            Text {
                text: "fd " + card.d.number
                color: Theme.text
                font.family: Theme.mono
                font.pixelSize: Theme.fontSize
                font.bold: true
            }
            Badge {
                objectName: "descriptorType"
                text: card.d.type || "unknown"
                foreground: Theme.descriptor
                background: Theme.descriptorSoft
            }
            Badge {
                visible: !!card.d.access
                text: card.d.access || ""
                bold: false
            }
            Item { Layout.fillWidth: true }
        }

        Text {
            objectName: "descriptorNote"
            visible: card.note !== ""
            Layout.fillWidth: true
            text: card.note
            wrapMode: Text.Wrap
            color: Theme.descriptor
            font.pixelSize: Theme.smallFontSize + 1
            font.bold: true
        }

        TextEdit {
            objectName: "descriptorTarget"
            Layout.fillWidth: true
            text: card.d.target || "?"
            readOnly: true
            selectByMouse: true
            wrapMode: TextEdit.WrapAnywhere
            color: Theme.text
            selectionColor: Theme.accent
            font.family: Theme.mono
            font.pixelSize: Theme.monoFontSize
        }

        // Size and mode share a line, each value in its half (a long size elides rather than
        // running into the next label); inode and seals have a line each.
        GridLayout {
            columns: 4
            columnSpacing: 10
            rowSpacing: 3
            Layout.fillWidth: true
            component Label: Text { color: Theme.textMuted; font.pixelSize: Theme.smallFontSize }
            component Value: Text {
                color: Theme.text
                font.pixelSize: Theme.smallFontSize + 1
                elide: Text.ElideRight
                Layout.fillWidth: true
                Layout.preferredWidth: 1
            }
            Label { text: "Size" }
            Value { objectName: "descriptorSize"; text: card.sizeText() }
            Label { text: "Mode" }
            Value { text: card.d.mode || "—"; font.family: Theme.mono }
            Label { text: "Inode" }
            Value { text: card.d.inode !== undefined ? card.d.inode + " on " + card.d.device : "—"; Layout.columnSpan: 3 }
            Label { text: "Seals"; visible: card.d.isMemfd === true }
            Value { text: card.d.seals ? card.d.seals : "none"; visible: card.d.isMemfd === true; Layout.columnSpan: 3 }
        }

        Text {
            visible: card.d.hasContent === true
            text: "First " + (card.d.firstBytes ? card.d.firstBytes.byteLength : 0) + " bytes" + (card.printable ? " (text)" : " (hex)")
            color: Theme.textMuted
            font.pixelSize: Theme.smallFontSize
            font.bold: true
        }
        Rectangle {
            visible: card.d.hasContent === true
            Layout.fillWidth: true
            implicitHeight: Math.min(firstBytes.implicitHeight + 12, 150)
            radius: 4
            color: Theme.surface
            border.color: Theme.border
            clip: true
            TextEdit {
                id: firstBytes
                objectName: "descriptorFirstBytes"
                x: 8
                y: 6
                width: parent.width - 16
                readOnly: true
                selectByMouse: true
                wrapMode: TextEdit.WrapAnywhere
                color: Theme.text
                selectionColor: Theme.accent
                font.family: Theme.mono
                font.pixelSize: Theme.smallFontSize + 1
                textFormat: TextEdit.PlainText
                text: {
                    if (!card.d.firstBytes || card.d.firstBytes.byteLength === 0)
                        return "(empty)"
                    if (card.printable)
                        return card.d.firstBytesText
                    return card.d.firstBytesHex.replace(/(..)/g, "$1 ").trim()
                }
            }
        }
        Text {
            visible: !!card.d.error
            text: card.d.error || ""
            color: Theme.error
            font.pixelSize: Theme.smallFontSize
        }
    }
}
