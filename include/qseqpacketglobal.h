// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETGLOBAL_H
#define QSEQPACKETGLOBAL_H

#include "qseqpacketversion.h"

#include <QtCore/qglobal.h>

#if defined(QSEQPACKET_STATIC)
#  define QSEQPACKET_EXPORT
#elif defined(QSEQPACKET_BUILD_LIBRARY)
#  define QSEQPACKET_EXPORT Q_DECL_EXPORT
#else
#  define QSEQPACKET_EXPORT Q_DECL_IMPORT
#endif

#endif // QSEQPACKETGLOBAL_H
