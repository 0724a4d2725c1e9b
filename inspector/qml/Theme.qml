// SPDX-License-Identifier: MIT
pragma Singleton
import QtQuick
import QSeqpacketInspector

// Colours and sizes of the Inspector, light or dark as Inspector.dark says.
QtObject {
    readonly property bool dark: Inspector.dark

    readonly property color window: dark ? "#16191e" : "#eef0f3"
    readonly property color surface: dark ? "#1f2329" : "#ffffff"
    readonly property color surfaceAlt: dark ? "#252a31" : "#f6f7f9"
    readonly property color raised: dark ? "#2b3139" : "#e7eaee"
    readonly property color border: dark ? "#343b45" : "#d6dae0"
    readonly property color text: dark ? "#e3e6ea" : "#1d232b"
    readonly property color textMuted: dark ? "#8d96a1" : "#66707c"
    readonly property color accent: dark ? "#4c9bff" : "#1f6fd1"
    readonly property color accentSoft: dark ? "#1d3556" : "#dce9fb"
    readonly property color selection: dark ? "#243b5a" : "#d5e5fa"
    readonly property color hover: dark ? "#242a32" : "#f1f4f8"
    readonly property color incoming: dark ? "#4cc38a" : "#17854a"
    readonly property color incomingSoft: dark ? "#173a2a" : "#ddf3e6"
    readonly property color outgoing: dark ? "#6aaeff" : "#1f6fd1"
    readonly property color outgoingSoft: dark ? "#1b3252" : "#dce9fb"
    readonly property color event: dark ? "#d9b25f" : "#8a5d00"
    readonly property color warning: dark ? "#f0a04b" : "#b25e00"
    readonly property color warningSoft: dark ? "#43301a" : "#fbebd6"
    readonly property color error: dark ? "#ff6b6b" : "#c62828"
    readonly property color errorSoft: dark ? "#4a2020" : "#fbe1e1"
    readonly property color descriptor: dark ? "#c78bff" : "#7b3fc4"
    readonly property color descriptorSoft: dark ? "#34254a" : "#efe3fb"
    // Frames of the message protocol, by type.
    readonly property color message: dark ? "#4fc1c9" : "#0b7a83"
    readonly property color messageSoft: dark ? "#173a3d" : "#dcf2f3"
    readonly property color request: dark ? "#6aaeff" : "#1f6fd1"
    readonly property color requestSoft: dark ? "#1b3252" : "#dce9fb"
    readonly property color reply: dark ? "#4cc38a" : "#17854a"
    readonly property color replySoft: dark ? "#173a2a" : "#ddf3e6"

    function frameColor(type) {
        switch (type) {
        case "message": return message
        case "request": return request
        case "reply": return reply
        case "error": return error
        default: return warning
        }
    }
    function frameSoftColor(type) {
        switch (type) {
        case "message": return messageSoft
        case "request": return requestSoft
        case "reply": return replySoft
        case "error": return errorSoft
        default: return warningSoft
        }
    }

    readonly property int fontSize: 13
    readonly property int smallFontSize: 11
    readonly property int titleFontSize: 15
    readonly property int monoFontSize: 12
    readonly property string mono: Inspector.monospaceFamily
    readonly property int radius: 6
    readonly property int spacing: 8
    readonly property int rowHeight: 26
}
