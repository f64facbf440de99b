/* No signal kills the host: every send of the library to a peer that has gone away must fail
 * with librtmp's failure value and an ERROR line, never raise SIGPIPE. This program keeps
 * SIGPIPE at its default action (terminate), as a host that does not ignore it would, so a
 * send without MSG_NOSIGNAL kills it and run-tests.sh reports the failure. librtmp 2.4 uses
 * plain send()/write() and dies here (see docs/compat.md).
 *
 * The peers:
 *  - one end of a socketpair whose other end is closed (EPIPE at once): the handshake's first
 *    send (RTMP_Connect1 on a caller's socket, as curl does), RTMP_SendPacket (the vectored
 *    send), RTMP_Write;
 *  - a TCP connection on loopback that the peer reset (SO_LINGER 0), its ECONNRESET already
 *    taken by a receive, so the next send gets EPIPE: RTMP_Write.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"
#include "play_scenario.h"

/* One FLV: header, then an audio tag of 40 bytes. */
static size_t make_flv(unsigned char *p)
{
    static const unsigned char head[13] = { 'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0 };
    memcpy(p, head, sizeof head);
    size_t n = sizeof head, body = 40;
    unsigned char *t = p + n;
    t[0] = 8;
    t[1] = 0; t[2] = 0; t[3] = (unsigned char)body;
    memset(t + 4, 0, 7);
    memset(t + 11, 0xaf, body);
    uint32_t size = (uint32_t)(11 + body);
    t[11 + body] = (unsigned char)(size >> 24);
    t[12 + body] = (unsigned char)(size >> 16);
    t[13 + body] = (unsigned char)(size >> 8);
    t[14 + body] = (unsigned char)size;
    return n + 15 + body;
}

/* A handle on `fd`, set up to publish (stream 1) with a 2 s timeout. */
static RTMP *handle_on(int fd)
{
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    static char url[64];
    snprintf(url, sizeof url, "rtmp://127.0.0.1/app/stream timeout=2"); /* parsed in place */
    CHECK(RTMP_SetupURL(r, url), "RTMP_SetupURL");
    RTMP_EnableWrite(r);
    r->m_sb.sb_socket = fd;
    r->m_stream_id = 1;
    return r;
}

/* One end of a socketpair whose other end is already closed. */
static int orphan_socket(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return -1;
    close(sv[1]);
    return sv[0];
}

static void finish(const char *what, RTMP *r, int failed)
{
    CHECK(failed, "%s: the send to a peer that is gone did not fail", what);
    CHECK(log_bad > 0, "%s: no ERROR line logged", what);
    if (log_verbose || !failed || log_bad == 0)
        fprintf(stderr, "%s, log:\n%s", what, log_text);
    RTMP_Close(r);
    RTMP_Free(r);
}

static void handshake_to_closed_peer(void)
{
    log_reset();
    int fd = orphan_socket();
    CHECK(fd >= 0, "socketpair");
    RTMP *r = handle_on(fd);
    r->Link.protocol &= ~RTMP_FEATURE_WRITE; /* a player, as curl: Connect1 on its own socket */
    int ok = RTMP_Connect1(r, NULL);
    finish("RTMP_Connect1 (handshake)", r, !ok);
}

static void packet_to_closed_peer(void)
{
    log_reset();
    int fd = orphan_socket();
    CHECK(fd >= 0, "socketpair");
    RTMP *r = handle_on(fd);
    RTMPPacket p;
    RTMPPacket_Reset(&p);
    CHECK(RTMPPacket_Alloc(&p, 300), "RTMPPacket_Alloc");
    memset(p.m_body, 0x55, 300);
    p.m_nBodySize = 300;
    p.m_packetType = RTMP_PACKET_TYPE_VIDEO;
    p.m_nChannel = 6;
    p.m_headerType = RTMP_PACKET_SIZE_LARGE;
    p.m_nInfoField2 = 1;
    int ok = RTMP_SendPacket(r, &p, FALSE);
    RTMPPacket_Free(&p);
    finish("RTMP_SendPacket (vectored send)", r, !ok);
}

/* RTMP_Write until it fails (at most a few calls: the first send already meets EPIPE). */
static int write_until_failure(RTMP *r)
{
    static unsigned char flv[128];
    size_t n = make_flv(flv);
    for (int i = 0; i < 4; i++)
        if (RTMP_Write(r, (char *)flv + (i ? 13 : 0), (int)(i ? n - 13 : n)) <= 0)
            return 1;
    return 0;
}

static void write_to_closed_peer(void)
{
    log_reset();
    int fd = orphan_socket();
    CHECK(fd >= 0, "socketpair");
    RTMP *r = handle_on(fd);
    finish("RTMP_Write (socketpair)", r, write_until_failure(r));
}

static void write_to_reset_peer(void)
{
    log_reset();
    int port = 0;
    const char *what = "";
    int ls = listen_loopback(&port, &what);
    CHECK(ls >= 0, "listen: %s", what);
    if (ls < 0)
        return;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect");
    int peer = accept(ls, NULL, NULL);
    close(ls);
    struct linger lg = { 1, 0 };
    setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(peer); /* RST */
    char c;
    usleep(20000);
    CHECK(recv(fd, &c, 1, 0) < 0 && errno == ECONNRESET, "the reset did not arrive");
    RTMP *r = handle_on(fd);
    finish("RTMP_Write (TCP, peer reset)", r, write_until_failure(r));
}

int main(void)
{
    signal(SIGPIPE, SIG_DFL); /* a host that does not ignore it */
    log_verbose = getenv("SIGPIPE_VERBOSE") != NULL;
    RTMP_LogSetCallback(log_cb);
    RTMP_LogSetLevel(RTMP_LOGWARNING);
    handshake_to_closed_peer();
    packet_to_closed_peer();
    write_to_closed_peer();
    write_to_reset_peer();
    return test_summary("sigpipe");
}
