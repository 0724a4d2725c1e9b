// SPDX-License-Identifier: MIT
#ifndef SEQPACKETQMLGLOBAL_H
#define SEQPACKETQMLGLOBAL_H

#include <QtCore/qglobal.h>

// The QML module's backing library (QSeqpacketQml) is shared: the plugin and C++ users such as the
// Inspector load the same copy, so that an object made in QML is the type their C++ knows.
#if defined(SEQPACKETQML_BUILD_LIBRARY)
#  define SEQPACKETQML_EXPORT Q_DECL_EXPORT
#else
#  define SEQPACKETQML_EXPORT Q_DECL_IMPORT
#endif

#endif // SEQPACKETQMLGLOBAL_H
