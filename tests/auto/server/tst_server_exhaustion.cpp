// SPDX-License-Identifier: MIT
//
// QSeqpacketServer out of descriptors: a server in a helper process (client/) that has used up
// every descriptor, with and without an event loop, reports acceptError(ResourceError), keeps
// listening without spinning, and accepts every waiting client once descriptors are free.
// Every test checks that no descriptor is left open (init/cleanup).

#include <QSeqpacketSocket>

#include <QtCore/QProcess>
#include <QtTest/QtTest>

#include <vector>

#include "servertest.h"
#include "testutil.h"

using namespace ServerTest;
using TestUtil::rawConnect;
using TestUtil::UniqueFd;

namespace {

// The fields of the "result key=value ... message=<text>" line in a helper's output; empty where
// there is none. \a line gets the whole line, \a message the text after "message=".
QMap<QByteArray, QByteArray> parseResult(const QByteArray &output, QByteArray *line, QByteArray *message)
{
    QMap<QByteArray, QByteArray> values;
    for (const QByteArray &outputLine : output.split('\n')) {
        if (outputLine.startsWith("result "))
            *line = outputLine;
    }
    const qsizetype messageAt = line->indexOf(" message=");
    if (messageAt < 0)
        return values;
    *message = line->mid(messageAt + 9);
    for (const QByteArray &field : line->left(messageAt).mid(7).split(' ')) {
        const qsizetype eq = field.indexOf('=');
        if (eq > 0)
            values.insert(field.left(eq), field.mid(eq + 1));
    }
    return values;
}

// What a helper server printed on its "result key=value ... message=<text>" line (parseResult()).
struct HelperResult
{
    QMap<QByteArray, QByteArray> values;
    QByteArray line;
    QByteArray message;
};

// Runs the helper server \a mode ("emfile" or "emfilewait") on a fresh abstract name made from
// \a tag. Once it says it is out of descriptors ("full <n>"; \a spare gets n), \a count raw
// clients connect and each sends "<prefix><i>", \a stdinLine (where not empty) goes to the helper,
// and every client must get its packet echoed. Then, with the clients closed, the helper must end
// normally with a result line, which \a result gets.
void runOutOfDescriptorsServer(const QString &mode, const char *tag, int count, const QByteArray &prefix,
                               const QByteArray &stdinLine, int *spare, HelperResult *result)
{
    const QByteArray address = '@' + TestUtil::uniqueAbstractName(tag);
    auto server = startHelper({mode, QString::fromLatin1(address), QString::number(count)});
    QVERIFY(server->waitForStarted());
    QByteArray line;
    QVERIFY2(waitForLine(server.get(), &line), describeProcess(server.get()).constData());
    QVERIFY2(line.startsWith("full "), line.constData());
    *spare = line.mid(5).toInt();

    {
        std::vector<UniqueFd> clients;
        for (int i = 0; i < count; ++i) {
            clients.emplace_back(rawConnect(address));
            QVERIFY(clients.back().isValid());
            QVERIFY(TestUtil::rawSend(clients.back().get(), prefix + QByteArray::number(i)));
        }
        if (!stdinLine.isEmpty())
            server->write(stdinLine);
        for (int i = 0; i < count; ++i) {
            const TestUtil::RawPacket echo = receiveRunningEvents(clients[size_t(i)].get());
            QVERIFY2(echo.ok, describeProcess(server.get()).constData());
            QCOMPARE(echo.data, prefix + QByteArray::number(i));
        }
    }

    QVERIFY(waitForExit(server.get()));
    const QByteArray output = server->readAllStandardOutput();
    QVERIFY2(server->exitStatus() == QProcess::NormalExit && server->exitCode() == 0,
             describeProcess(server.get(), output).constData());
    result->values = parseResult(output, &result->line, &result->message);
    QVERIFY2(!result->values.isEmpty(), output.constData());
}

} // namespace

class tst_ServerExhaustion : public TestCase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initServerTestCase(); }
    void init() { snapshotDescriptors(); }
    void cleanup() { checkDescriptors(); }

    void descriptorExhaustion();
    void descriptorExhaustionWithoutEventLoop();
};

// ---- out of descriptors ---------------------------------------------------------------------

void tst_ServerExhaustion::descriptorExhaustion()
{
    // The server runs in a helper process that takes all its descriptors (RLIMIT_NOFILE lowered,
    // the rest filled), so accept() fails with EMFILE while these clients wait in the backlog.
    // Once it has descriptors again it accepts every waiting client and echoes.
    constexpr int Clients = 3;
    int spare = 0;
    HelperResult result;
    runOutOfDescriptorsServer(QStringLiteral("emfile"), "emfile", Clients, "hello-", QByteArray(), &spare, &result);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(spare > 0);
    const QMap<QByteArray, QByteArray> &values = result.values;

    // acceptError(ResourceError), with a message, and retried more than once meanwhile.
    QCOMPARE(values.value("code").toInt(), int(QSeqpacketSocket::ResourceError));
    QVERIFY2(!result.message.isEmpty(), result.line.constData());
    QVERIFY2(values.value("errors").toInt() >= 2, result.line.constData());
    // Still listening, without spinning: little CPU over the window of exhaustion.
    QCOMPARE(values.value("listening"), QByteArray("1"));
    QVERIFY2(values.value("window_ms").toInt() >= 1000, result.line.constData());
    QVERIFY2(values.value("cpu_ms").toInt() >= 0 && values.value("cpu_ms").toInt() < 300, result.line.constData());
    // A server that retried at once would have failed accept() many thousand times by then.
    QVERIFY2(values.value("errors").toInt() < 1000, result.line.constData());
    // Every waiting client accepted once descriptors were free.
    QCOMPARE(values.value("accepted").toInt(), Clients);
    QCOMPARE(values.value("echoed").toInt(), Clients);
}

void tst_ServerExhaustion::descriptorExhaustionWithoutEventLoop()
{
    // The same in a process with no event loop at all: waitForNewConnection() does the accepting.
    // "go" once the clients all wait in the backlog: the helper then waits for them while out of
    // descriptors.
    constexpr int Clients = 3;
    int spare = 0;
    HelperResult result;
    runOutOfDescriptorsServer(QStringLiteral("emfilewait"), "emfile-wait", Clients, "waited-", "go\n", &spare,
                              &result);
    if (QTest::currentTestFailed())
        return;
    const QMap<QByteArray, QByteArray> &values = result.values;

    // Nothing could be accepted while out of descriptors; acceptError(ResourceError) said why,
    // with a message; the server kept listening and did not spin in the wait.
    QCOMPARE(values.value("got"), QByteArray("0"));
    QVERIFY2(values.value("errors").toInt() >= 1, result.line.constData());
    QCOMPARE(values.value("code").toInt(), int(QSeqpacketSocket::ResourceError));
    QVERIFY2(!result.message.isEmpty(), result.line.constData());
    QCOMPARE(values.value("listening"), QByteArray("1"));
    QVERIFY2(values.value("cpu_ms").toInt() >= 0 && values.value("cpu_ms").toInt() < 300, result.line.constData());
    // Then, with descriptors free, waitForNewConnection() accepted every waiting client.
    QCOMPARE(values.value("problem"), QByteArray("none"));
    QCOMPARE(values.value("accepted").toInt(), Clients);
    QCOMPARE(values.value("echoed").toInt(), Clients);
}

QTEST_GUILESS_MAIN(tst_ServerExhaustion)
#include "tst_server_exhaustion.moc"
