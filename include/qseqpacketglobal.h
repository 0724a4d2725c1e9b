// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETGLOBAL_H
#define QSEQPACKETGLOBAL_H

#include "qseqpacketversion.h"

#include <QtCore/qglobal.h>

/*!
 * \file qseqpacketglobal.h
 * \brief The export macro and the version macros (qseqpacketversion.h) of QSeqpacket.
 */

/*!
 * \def QSEQPACKET_EXPORT
 * \brief Marks the library's public classes and functions for export from the shared library.
 *
 * Define QSEQPACKET_STATIC when linking QSeqpacket statically.
 */

#if defined(QSEQPACKET_STATIC)
#  define QSEQPACKET_EXPORT
#elif defined(QSEQPACKET_BUILD_LIBRARY)
#  define QSEQPACKET_EXPORT Q_DECL_EXPORT
#else
#  define QSEQPACKET_EXPORT Q_DECL_IMPORT
#endif

#endif // QSEQPACKETGLOBAL_H
