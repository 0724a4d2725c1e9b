// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Layouts
import QSeqpacketInspector

// The columns of a log row (or, with header: true, their titles): #, time, direction, size,
// descriptors, preview. An event row has its text across the packet columns.
RowLayout {
    id: layout
    property bool header: false
    property var entry: null
    readonly property bool isEvent: !header && entry && entry.kind === "event"
    readonly property bool incoming: !header && entry && entry.kind === "in"
    readonly property string frameType: !header && entry && !isEvent ? entry.frameType : ""
    readonly property bool isFrame: frameType !== "" && frameType !== "invalid"

    // Selects the log entry numbered n (a request's reply, a reply's request).
    signal entryLinkActivated(int number)

    spacing: 0

    component Cell: Text {
        Layout.leftMargin: 10
        color: layout.header ? Theme.textMuted : Theme.text
        font.pixelSize: layout.header ? Theme.smallFontSize : Theme.monoFontSize
        font.bold: layout.header
        font.family: layout.header ? window.font.family : Theme.mono
        verticalAlignment: Text.AlignVCenter
        Layout.fillHeight: true
        elide: Text.ElideRight
    }

    Cell {
        Layout.preferredWidth: 46
        horizontalAlignment: Text.AlignRight
        text: layout.header ? "#" : layout.entry.number
        color: layout.header ? Theme.textMuted : Theme.textMuted
    }
    Cell {
        Layout.preferredWidth: 92
        text: layout.header ? "TIME" : layout.entry.time
        color: layout.header ? Theme.textMuted : Theme.textMuted
    }
    Item {
        Layout.preferredWidth: 62
        Layout.leftMargin: 10
        Layout.fillHeight: true
        Cell {
            visible: layout.header
            anchors.fill: parent
            text: "DIR"
        }
        Badge {
            visible: !layout.header
            anchors.verticalCenter: parent.verticalCenter
            text: layout.isEvent ? "event" : (layout.incoming ? "▼ in" : "▲ out")
            foreground: layout.isEvent ? Theme.event : (layout.incoming ? Theme.incoming : Theme.outgoing)
            background: layout.isEvent ? Theme.warningSoft : (layout.incoming ? Theme.incomingSoft : Theme.outgoingSoft)
        }
    }

    // Packet columns.
    Cell {
        visible: !layout.isEvent
        objectName: "sizeCell"
        Layout.preferredWidth: 96
        horizontalAlignment: Text.AlignRight
        text: layout.header ? "SIZE" : layout.entry.size + " B"
    }
    Item {
        visible: !layout.isEvent
        Layout.preferredWidth: 108
        Layout.leftMargin: 10
        Layout.fillHeight: true
        Cell {
            visible: layout.header
            anchors.fill: parent
            text: "FDS · FLAGS"
        }
        Row {
            visible: !layout.header
            anchors.verticalCenter: parent.verticalCenter
            spacing: 4
            Badge {
                objectName: "descriptorBadge"
                visible: !layout.header && !layout.isEvent && layout.entry.descriptorCount > 0
                text: visible ? layout.entry.descriptorCount + " fd" + (layout.entry.descriptorsTruncated ? "!" : "") : ""
                foreground: Theme.descriptor
                background: Theme.descriptorSoft
            }
            Badge {
                objectName: "truncatedBadge"
                visible: !layout.header && !layout.isEvent && layout.entry.truncated
                text: visible ? "cut of " + layout.entry.originalSize : ""
                foreground: Theme.warning
                background: Theme.warningSoft
            }
        }
    }
    // The preview: a frame's type, then "#id name body", and where its answer is; or the text or hex.
    Badge {
        objectName: "frameTypeBadge"
        visible: layout.frameType !== ""
        Layout.leftMargin: 10
        text: layout.frameType === "invalid" ? "not a frame" : layout.frameType
        foreground: Theme.frameColor(layout.frameType)
        background: Theme.frameSoftColor(layout.frameType)
    }
    Cell {
        objectName: "previewCell"
        Layout.fillWidth: true
        Layout.leftMargin: layout.frameType !== "" ? 6 : 10
        Layout.rightMargin: answerCell.visible ? 0 : 10
        text: layout.header ? "PREVIEW" : (layout.isFrame ? layout.entry.frameText : layout.entry.preview)
        color: layout.header ? Theme.textMuted
                             : (layout.isEvent ? Theme.event
                                               : (layout.isFrame || layout.entry.isText || layout.entry.size === 0 ? Theme.text : Theme.textMuted))
        font.italic: layout.isEvent || (!layout.header && layout.entry.size === 0 && !layout.isEvent)
        textFormat: Text.PlainText
    }
    // A reply names its request; a request its reply and how long it took, or that none came yet.
    Cell {
        id: answerCell
        objectName: "answerCell"
        readonly property int target: !layout.isFrame ? 0
                                      : (layout.frameType === "request" ? layout.entry.answeredBy : layout.entry.answers)
        visible: layout.isFrame && (layout.frameType === "request" || layout.entry.answers > 0)
        Layout.leftMargin: 8
        Layout.rightMargin: 10
        color: target > 0 ? (hoverLink.hovered ? Theme.accent : Theme.textMuted) : Theme.warning
        font.underline: target > 0 && hoverLink.hovered
        text: {
            if (!visible)
                return ""
            if (layout.frameType === "request")
                return target > 0 ? "↪ #" + target + " · " + layout.entry.answerDelay + " ms" : "no reply yet"
            return "↩ #" + target
        }
        HoverHandler { id: hoverLink; enabled: parent.target > 0; cursorShape: Qt.PointingHandCursor }
        TapHandler { enabled: parent.target > 0; onTapped: layout.entryLinkActivated(parent.target) }
    }
}
