// SPDX-License-Identifier: MIT
//
// threaded-server: a server that hands its connections to a pool of worker threads.
//
//   threaded-server server ADDRESS [--workers N]              (default: 4 workers)
//   threaded-server client ADDRESS [--connections N] [--requests N]
//
// ADDRESS is a path, or @name for a Linux abstract name.
//
// The server accepts in the main thread and gives each new connection to the next worker thread
// in turn (round robin). From then on the connection lives in that thread: its packets are read,
// answered and written there, in parallel with the other workers. Requests and answers, one packet
// each (no framing needed: a packet arrives whole):
//
//   "who"          ->  the name of the worker thread that serves the connection, e.g. "worker-2"
//   "sum 1 2 3"    ->  "6"
//   anything else  ->  "error: ..."
//
// The client opens all its connections at once, sends every request on each without waiting
// (the answers come back in order, one packet per answer), checks the answers and prints which
// worker served each connection. It exits 0 when every answer was right.
//
// Stop the server with Ctrl+C or SIGTERM: it stops listening, stops its workers and exits.

#include <QSeqpacketServer>
#include <QSeqpacketSocket>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QMap>
#include <QRandomGenerator>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <functional>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace {

// Called from several threads at once: stdio locks the stream for each call, and a line goes out
// in one call, so lines never mix.
void say(const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

// ------------------------------------------------------------------------------------------------
// SIGINT and SIGTERM as events (see examples/echo/echo-server.cpp for the reasoning)
// ------------------------------------------------------------------------------------------------
// The kernel runs the handler in whichever thread it likes, a worker thread included. That does
// not matter here: the handler only writes a byte into a pipe, and the notifier on the pipe, made
// in the main thread, wakes the main thread's event loop.
int signalPipe[2] = { -1, -1 };

extern "C" void writeSignalToPipe(int signalNumber)
{
    const int savedErrno = errno;
    const char byte = char(signalNumber);
    [[maybe_unused]] const ssize_t written = ::write(signalPipe[1], &byte, 1);
    errno = savedErrno;
}

bool onQuitSignal(QObject *context, std::function<void(int signalNumber)> handler)
{
    if (::pipe2(signalPipe, O_CLOEXEC | O_NONBLOCK) == -1)
        return false;
    auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [handler] {
        char byte = 0;
        int last = 0;
        while (::read(signalPipe[0], &byte, 1) == 1)
            last = byte;
        if (last != 0)
            handler(last);
    });
    struct sigaction action {};
    action.sa_handler = writeSignalToPipe;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0;
}

// ------------------------------------------------------------------------------------------------
// Server side: a connection, served in a worker thread
// ------------------------------------------------------------------------------------------------

// The answer to one request. Runs in a worker thread; touches nothing shared.
QByteArray answer(const QByteArray &request)
{
    const QList<QByteArray> words = request.simplified().split(' ');
    if (words.constFirst() == "who")
        return QThread::currentThread()->objectName().toUtf8();
    if (words.constFirst() == "sum") {
        qint64 sum = 0;
        for (qsizetype i = 1; i < words.size(); ++i) {
            bool ok = false;
            sum += words.at(i).toLongLong(&ok);
            if (!ok)
                return "error: not a number: " + words.at(i);
        }
        return QByteArray::number(sum);
    }
    return "error: unknown request: " + request.left(40);
}

// Owns one accepted socket and answers its requests, in the thread it lives in. Created by the
// worker, in the worker thread, so that it, the socket and their signal connections all belong to
// that thread and every slot runs there.
class Connection : public QObject
{
public:
    Connection(QSeqpacketSocket *socket, int number, QObject *parent)
        : QObject(parent), m_socket(socket), m_number(number)
    {
        // The socket arrived without a parent (see ThreadedServer::handOff()); now that it is in
        // this thread it can get one here, and goes when the connection does.
        m_socket->setParent(this);

        connect(m_socket, &QSeqpacketSocket::packetReady, this, [this] { answerRequests(); });
        connect(m_socket, &QSeqpacketSocket::disconnected, this, [this] { finish(); });
        connect(m_socket, &QSeqpacketSocket::errorOccurred, this, [this](QSeqpacketSocket::SocketError error) {
            // A client that leaves without waiting for its answers is no news (PeerClosedError,
            // ConnectionResetError); disconnected() follows either way.
            if (error != QSeqpacketSocket::PeerClosedError && error != QSeqpacketSocket::ConnectionResetError)
                say(QStringLiteral("%1: connection %2: %3").arg(threadName()).arg(m_number).arg(m_socket->errorString()));
        });

        // Between the accept in the main thread and now, the client may have sent requests, and
        // even closed: the socket may have said packetReady() or disconnected() while nothing was
        // connected to it. packetReady() is emitted again only when new packets arrive, and
        // disconnected() only once, so look for ourselves.
        answerRequests();
        if (m_socket->state() == QSeqpacketSocket::UnconnectedState)
            finish();
    }

private:
    static QString threadName() { return QThread::currentThread()->objectName(); }

    void answerRequests()
    {
        while (m_socket->hasPendingPackets()) {
            const QByteArray request = m_socket->receivePacket().data();
            ++m_requests;
            if (m_socket->state() == QSeqpacketSocket::ConnectedState)
                m_socket->sendPacket(answer(request));
        }
    }

    void finish()
    {
        if (m_finished)
            return;
        m_finished = true;
        say(QStringLiteral("%1: connection %2 closed after %3 requests").arg(threadName()).arg(m_number).arg(m_requests));
        deleteLater(); // and the socket, our child, with us
    }

    QSeqpacketSocket *m_socket;
    const int m_number;
    int m_requests = 0;
    bool m_finished = false;
};

// Lives in a worker thread. The connections it serves are its children: when the thread ends the
// worker is deleted (see ThreadedServer::start()), and they with it, in their own thread.
class Worker : public QObject
{
public:
    // Runs in the worker thread (called through QMetaObject::invokeMethod()).
    void serve(QSeqpacketSocket *socket, int number) { new Connection(socket, number, this); }
};

// ------------------------------------------------------------------------------------------------
// Server side: accepting, in the main thread
// ------------------------------------------------------------------------------------------------
class ThreadedServer : public QObject
{
public:
    ~ThreadedServer() override { stopWorkers(); }

    bool start(const QSeqpacketAddress &address, int workerCount)
    {
        for (int i = 1; i <= workerCount; ++i) {
            auto *thread = new QThread(this);
            // Named before start(): Qt gives the system thread the same name (ps -T, top -H, gdb).
            thread->setObjectName(QStringLiteral("worker-%1").arg(i));
            auto *worker = new Worker; // no parent: it moves to the thread
            worker->moveToThread(thread);
            // deleteLater() at finished() deletes the worker in its own thread, as its event loop
            // winds down; its connections go with it.
            connect(thread, &QThread::finished, worker, &QObject::deleteLater);
            thread->start();
            m_threads.append(thread);
            m_workers.append(worker);
        }

        if (address.kind() == QSeqpacketAddress::Path)
            QSeqpacketServer::removeServer(address.path()); // a stale file of a server that died
        connect(m_server, &QSeqpacketServer::newConnection, this, [this] { handOff(); });
        if (!m_server->listen(address)) {
            say(QStringLiteral("cannot listen on %1: %2").arg(address.toString(), m_server->errorString()));
            return false;
        }
        say(QStringLiteral("threaded-server: %1 worker threads, listening on %2 (pid %3)")
                    .arg(workerCount)
                    .arg(m_server->serverAddress().toString())
                    .arg(::getpid()));
        return true;
    }

    void stop(int signalNumber)
    {
        say(QStringLiteral("caught %1, closing").arg(signalNumber == SIGINT ? "SIGINT" : "SIGTERM"));
        m_server->close();
        stopWorkers();
        QCoreApplication::quit();
    }

private:
    void handOff()
    {
        while (QSeqpacketSocket *socket = m_server->nextPendingConnection()) {
            const int number = ++m_connections;
            Worker *worker = m_workers.at(m_next);
            m_next = (m_next + 1) % m_workers.size();
            say(QStringLiteral("connection %1 from pid %2 -> %3")
                        .arg(number)
                        .arg(socket->peerCredentials().processId())
                        .arg(worker->thread()->objectName()));

            // 1. The server is the parent of the sockets it accepts, and an object with a parent
            //    cannot move to another thread (parent and children live in one thread).
            socket->setParent(nullptr);
            // 2. Move it: from now on its notifiers are serviced by the worker's event loop, its
            //    signals are emitted there, and only that thread may use it. This thread must not
            //    touch `socket` after this line.
            socket->moveToThread(worker->thread());
            // 3. Set up the connection in the worker thread: invokeMethod() with a functor and a
            //    context object in another thread queues the call to that thread's event loop.
            //    Making the Connection there gives it the worker's thread affinity, so its slots
            //    run there, and lets it read the socket, which only that thread may do now.
            QMetaObject::invokeMethod(worker, [worker, socket, number] { worker->serve(socket, number); });
        }
        // Another way: reimplement QSeqpacketServer::incomingConnection(int descriptor) and send
        // the bare descriptor to the worker, which makes its QSeqpacketSocket there with
        // setSocketDescriptor(). The socket then never lives in the main thread at all.
    }

    void stopWorkers()
    {
        for (QThread *thread : std::as_const(m_threads)) {
            thread->quit();
            thread->wait();
        }
        m_threads.clear();
        m_workers.clear();
    }

    QSeqpacketServer *m_server = new QSeqpacketServer(this);
    QList<QThread *> m_threads;
    QList<Worker *> m_workers;
    qsizetype m_next = 0;
    int m_connections = 0;
};

// ------------------------------------------------------------------------------------------------
// Client side: many connections at once, all in the main thread's event loop
// ------------------------------------------------------------------------------------------------
class Conversation : public QObject
{
public:
    Conversation(int number, int requestCount, QObject *parent) : QObject(parent), m_number(number)
    {
        // The first request asks who serves us; the rest are sums with known answers.
        m_requests.append("who");
        m_expected.append(QByteArray()); // any worker name
        QRandomGenerator *random = QRandomGenerator::global();
        for (int i = 1; i < requestCount; ++i) {
            QByteArray request = "sum";
            qint64 sum = 0;
            for (int n = random->bounded(1, 6); n > 0; --n) {
                const int term = random->bounded(-1000, 1000);
                request += ' ' + QByteArray::number(term);
                sum += term;
            }
            m_requests.append(request);
            m_expected.append(QByteArray::number(sum));
        }
    }

    // Calls `done` once the conversation has ended, well or badly.
    void start(const QSeqpacketAddress &address, std::function<void()> done)
    {
        m_done = std::move(done);
        connect(m_socket, &QSeqpacketSocket::connected, this, [this] {
            // All requests at once: the server answers them in order, one packet each.
            for (const QByteArray &request : std::as_const(m_requests))
                m_socket->sendPacket(request);
        });
        connect(m_socket, &QSeqpacketSocket::packetReady, this, [this] { readAnswers(); });
        connect(m_socket, &QSeqpacketSocket::errorOccurred, this, [this] {
            say(QStringLiteral("connection %1: %2").arg(m_number).arg(m_socket->errorString()));
            if (m_socket->state() == QSeqpacketSocket::UnconnectedState)
                finish();
        });
        connect(m_socket, &QSeqpacketSocket::disconnected, this, [this] { finish(); });
        m_socket->connectToServer(address);
    }

    bool isRight() const { return m_answered == m_requests.size() && m_wrong == 0; }
    QString worker() const { return m_worker; }

private:
    void readAnswers()
    {
        while (m_socket->hasPendingPackets()) {
            const QByteArray reply = m_socket->receivePacket().data();
            if (m_answered >= m_requests.size()) {
                ++m_wrong;
                continue;
            }
            const int index = m_answered++;
            if (index == 0)
                m_worker = QString::fromUtf8(reply); // the answer to "who"
            else if (reply != m_expected.at(index))
                ++m_wrong;
        }
        if (m_answered == m_requests.size())
            m_socket->disconnectFromServer(); // then disconnected() -> finish()
    }

    void finish()
    {
        if (!m_done)
            return;
        say(QStringLiteral("connection %1: served by %2, %3 of %4 answers right")
                    .arg(m_number)
                    .arg(m_worker.isEmpty() ? QStringLiteral("nobody") : m_worker)
                    .arg(m_answered - m_wrong)
                    .arg(m_requests.size()));
        std::exchange(m_done, nullptr)();
    }

    QSeqpacketSocket *m_socket = new QSeqpacketSocket(this);
    const int m_number;
    QList<QByteArray> m_requests;
    QList<QByteArray> m_expected;
    QString m_worker;
    int m_answered = 0;
    int m_wrong = 0;
    std::function<void()> m_done;
};

int runClient(const QSeqpacketAddress &address, int connectionCount, int requestCount)
{
    QObject owner;
    QList<Conversation *> conversations;
    int running = connectionCount;
    auto oneDone = [&] {
        if (--running > 0)
            return;
        // All ended: sum up, and exit 0 only when every answer was right.
        QMap<QString, int> perWorker;
        int right = 0;
        for (const Conversation *conversation : std::as_const(conversations)) {
            right += conversation->isRight() ? 1 : 0;
            ++perWorker[conversation->worker()];
        }
        QStringList workers;
        for (auto it = perWorker.cbegin(); it != perWorker.cend(); ++it)
            workers.append(QStringLiteral("%1 (%2)").arg(it.key().isEmpty() ? QStringLiteral("nobody") : it.key()).arg(it.value()));
        say(QStringLiteral("%1 of %2 connections got every answer right; served by %3")
                    .arg(right)
                    .arg(connectionCount)
                    .arg(workers.join(QStringLiteral(", "))));
        QCoreApplication::exit(right == connectionCount ? 0 : 1);
    };

    // Every connection is opened before any answer is read: the server sees them all at once.
    // connectToServer() usually completes at once (the kernel queues the connection until the
    // server accepts it); done() may therefore be called before the event loop runs, so the
    // conversations are all made first and started after.
    for (int i = 1; i <= connectionCount; ++i)
        conversations.append(new Conversation(i, requestCount, &owner));
    for (Conversation *conversation : std::as_const(conversations))
        conversation->start(address, oneDone);
    if (running == 0)
        return conversations.constFirst()->isRight() ? 0 : 1; // all failed before exec(): exit() does nothing yet
    return QCoreApplication::exec();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A QSeqpacketServer with a pool of worker threads, and its client."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("mode"), QStringLiteral("server or client"));
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("a path, or @name for an abstract name"));
    const QCommandLineOption workersOption(QStringLiteral("workers"), QStringLiteral("server: worker threads (default 4)"),
                                           QStringLiteral("n"), QStringLiteral("4"));
    const QCommandLineOption connectionsOption(QStringLiteral("connections"),
                                               QStringLiteral("client: connections opened at once (default 16)"),
                                               QStringLiteral("n"), QStringLiteral("16"));
    const QCommandLineOption requestsOption(QStringLiteral("requests"),
                                            QStringLiteral("client: requests on each connection (default 10)"),
                                            QStringLiteral("n"), QStringLiteral("10"));
    parser.addOptions({ workersOption, connectionsOption, requestsOption });
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    const QString mode = args.value(0);
    bool numbersOk = false, ok = false;
    const int workers = parser.value(workersOption).toInt(&ok);
    numbersOk = ok && workers > 0;
    const int connections = parser.value(connectionsOption).toInt(&ok);
    numbersOk = numbersOk && ok && connections > 0;
    const int requests = parser.value(requestsOption).toInt(&ok);
    numbersOk = numbersOk && ok && requests > 0;
    if (args.size() != 2 || (mode != QLatin1String("server") && mode != QLatin1String("client")) || !numbersOk) {
        std::fputs(qPrintable(parser.helpText()), stderr);
        return 2;
    }
    const QSeqpacketAddress address = QSeqpacketAddress::fromString(args.at(1));
    if (!address.isValid()) {
        std::fprintf(stderr, "threaded-server: %s\n", qPrintable(address.errorString()));
        return 2;
    }

    if (mode == QLatin1String("client")) {
        // Only keeps a broken run from hanging forever.
        QTimer::singleShot(30000, &app, [] {
            say(QStringLiteral("timed out"));
            QCoreApplication::exit(1);
        });
        return runClient(address, connections, requests);
    }

    QThread::currentThread()->setObjectName(QStringLiteral("main"));
    ThreadedServer server;
    if (!onQuitSignal(&server, [&server](int signalNumber) { server.stop(signalNumber); })) {
        std::perror("threaded-server: cannot handle SIGINT/SIGTERM");
        return 1;
    }
    if (!server.start(address, workers))
        return 1;
    return app.exec();
}
