/* Helpers of the tests that run the play client (RTMP_SetupURL, RTMP_Connect, RTMP_ConnectStream,
 * rtmpdump's RTMP_Read loop, RTMP_Close/RTMP_Free) against a misbehaving peer process on a free
 * loopback port, one scenario at a time: test_bad_server.c, test_tls_hostile.c. */
#ifndef LIBRTMP_RS_TEST_PLAY_SCENARIO_H
#define LIBRTMP_RS_TEST_PLAY_SCENARIO_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------------------------------- */
/* log capture (RTMP_LogSetCallback(log_cb)): every line goes to log_text, which is shown when a
 * scenario fails; log_bad counts the lines at log_bad_level or more severe                   */

static char log_text[16384];
static size_t log_len;
static int log_bad;
static int log_bad_level = RTMP_LOGERROR;
static int log_verbose;

static inline void log_cb(int level, const char *fmt, va_list ap)
{
    char line[600];
    vsnprintf(line, sizeof line, fmt, ap);
    if (level <= log_bad_level)
        log_bad++;
    static const char *names[] = { "CRIT", "ERROR", "WARNING", "INFO", "DEBUG", "DEBUG2", "ALL" };
    const char *name = level >= 0 && level <= 6 ? names[level] : "?";
    size_t room = sizeof log_text - log_len;
    int n = snprintf(log_text + log_len, room, "    [%s] %s\n", name, line);
    if (n > 0)
        log_len += (size_t)n < room ? (size_t)n : room - 1;
}

static inline void log_reset(void)
{
    log_len = 0;
    log_text[0] = 0;
    log_bad = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the peer process                                                                         */

/* the scenario running and its peer: the SIGALRM watchdog names the one and kills the other */
static const char *cur_name;
static pid_t cur_peer = -1;

static inline void watchdog(int sig)
{
    (void)sig;
    static const char msg1[] = "\nWATCHDOG: scenario hung: ";
    static const char msg2[] = "\nits log so far:\n";
    ssize_t w;
    w = write(2, msg1, sizeof msg1 - 1);
    if (cur_name)
        w = write(2, cur_name, strlen(cur_name));
    w = write(2, msg2, sizeof msg2 - 1);
    w = write(2, log_text, log_len);
    (void)w;
    if (cur_peer > 0)
        kill(cur_peer, SIGKILL);
    _exit(3);
}

/* A socket listening on a free loopback port: its descriptor (and the port), or -1 with errno set
 * and *what naming the step that failed. */
static inline int listen_loopback(int *port, const char **what)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) {
        *what = "socket";
        return -1;
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 4) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
        int e = errno;
        close(ls);
        errno = e;
        *what = "listen on 127.0.0.1";
        return -1;
    }
    *port = ntohs(a.sin_port);
    return ls;
}

/* Waits for the peer to end (it ends when the client has closed); kills it after BOUND_S seconds.
 * Returns its exit status, 128+signal, -1 when waitpid fails, or -2 when it had to be killed. */
static inline int reap_peer(pid_t pid, double bound_s)
{
    int status = 0;
    double end = now_s() + bound_s;
    while (now_s() < end) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (w < 0 && errno != EINTR)
            return -1;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -2;
}

/* ---------------------------------------------------------------------------------------- */
/* the client                                                                               */

/* What rtmpdump's download loop saw: the last RTMP_Read result, the rounds, the bytes; then the
 * result of one more RTMP_Read (a failure is final: it returns nothing) and m_read.status. */
struct download {
    int last, rounds, again, status;
    long total;
};

/* rtmpdump's download loop (with a bound on the rounds) on a stream RTMP_ConnectStream started */
static inline void download_loop(RTMP *r, struct download *d)
{
    static char buf[65536];
    do {
        d->last = RTMP_Read(r, buf, sizeof buf);
        if (d->last > 0)
            d->total += d->last;
        else if (r->m_read.status == RTMP_READ_EOF)
            break;
    } while (++d->rounds < 10000 && d->last > -1 && RTMP_IsConnected(r) && !RTMP_IsTimedout(r));
    d->again = RTMP_Read(r, buf, sizeof buf);
    d->status = r->m_read.status;
}

#endif
