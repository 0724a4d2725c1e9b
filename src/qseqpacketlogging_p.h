// SPDX-License-Identifier: MIT
#ifndef QSEQPACKETLOGGING_P_H
#define QSEQPACKETLOGGING_P_H

#include <QtCore/qloggingcategory.h>

Q_DECLARE_LOGGING_CATEGORY(lcSeqpacket)
Q_DECLARE_LOGGING_CATEGORY(lcSeqpacketSocket)
Q_DECLARE_LOGGING_CATEGORY(lcSeqpacketServer)
Q_DECLARE_LOGGING_CATEGORY(lcSeqpacketChannel)

#endif
