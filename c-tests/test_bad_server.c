/* "Bad servers": the play client (used like rtmpdump does: RTMP_SetupURL, RTMP_Connect,
 * RTMP_ConnectStream, an RTMP_Read loop, RTMP_Close/RTMP_Free) against test servers that
 * misbehave: they close, reset, stall, send garbage, refuse the connection, announce huge or
 * broken messages or invalid chunk sizes. Each server runs in a forked child on a free loopback
 * port and never blocks forever (poll deadlines, SO_RCVTIMEO/SO_SNDTIMEO, alarm).
 *
 * For every scenario the client must fail at the expected step with librtmp's failure value,
 * end in the expected state (closed, or timed out by Link.timeout = 1 s), return within a
 * watchdog bound (no hang: this is not a performance assertion), and our library must have
 * logged at least one ERROR or WARNING line (captured with RTMP_LogSetCallback; shown only when
 * a scenario fails). BAD_SERVER_VERBOSE=1 captures DEBUG lines too and prints every log.
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"
#include "play_scenario.h"

#define SIG 1536               /* handshake block size */
#define SRV_CHUNK 128          /* the client's inbound chunk size until told otherwise */
#define WATCHDOG_S 20          /* alarm() per scenario: a hang kills the test with a message */
#define MAX_ELAPSED_S 10.0     /* "no hang" bound checked per scenario */
#define SRV_DEADLINE_MS 8000   /* the server never waits longer than this for the client */
#define SRV_EXIT_S 10.0        /* the server ends when the client closes; killed after this */

/* ---------------------------------------------------------------------------------------- */
/* log capture: play_scenario.h's, log_bad counting ERROR and WARNING lines (set in main)      */

static int log_contains(const char *s)
{
    return strstr(log_text, s) != NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* server-side helpers (run in the forked child)                                            */

static uint32_t rng_state;

static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void fill_random(unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(rng() >> 24);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads exactly n bytes within SRV_DEADLINE_MS; 0 on EOF, error or deadline. */
static int srv_read(int fd, void *buf, size_t n)
{
    unsigned char *b = buf;
    long end = now_ms() + SRV_DEADLINE_MS;
    size_t got = 0;
    while (got < n) {
        long left = end - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = { fd, POLLIN, 0 };
        int k = poll(&p, 1, (int)left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return 0;
        ssize_t r = recv(fd, b + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    return 1;
}

/* Best effort: the client may already be gone (EPIPE/ECONNRESET are fine). */
static void srv_write(int fd, const void *buf, size_t n)
{
    const unsigned char *b = buf;
    while (n > 0) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        b += k;
        n -= (size_t)k;
    }
}

/* Reads and discards until the client closes or the deadline passes. */
static void srv_drain(int fd)
{
    unsigned char junk[4096];
    long end = now_ms() + SRV_DEADLINE_MS;
    for (;;) {
        long left = end - now_ms();
        if (left <= 0)
            return;
        struct pollfd p = { fd, POLLIN, 0 };
        int k = poll(&p, 1, (int)left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        ssize_t r = recv(fd, junk, sizeof junk, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
    }
}

/* How a server script ends. */
enum { FIN_CLOSE, FIN_SILENT };

/* FIN_CLOSE: orderly EOF to the client (shutdown, then read what it still sends, so the close
 * cannot turn into a reset that would discard our last bytes). FIN_SILENT: keep the
 * connection open and say nothing until the client gives up and closes. */
static int srv_finish(int fd, int how)
{
    if (how == FIN_CLOSE)
        shutdown(fd, SHUT_WR);
    srv_drain(fd);
    return 0;
}

/* Plain handshake: C0+C1 in, S0 = 3, S1 = time + zeros + random, S2 = echo of C1, C2 in. */
static int srv_handshake(int fd)
{
    unsigned char c01[1 + SIG], s[1 + 2 * SIG], c2[SIG];
    if (!srv_read(fd, c01, sizeof c01) || c01[0] != 3)
        return 0;
    s[0] = 3;
    memset(s + 1, 0, 8);
    fill_random(s + 9, SIG - 8);
    memcpy(s + 1 + SIG, c01 + 1, SIG);
    srv_write(fd, s, sizeof s);
    return srv_read(fd, c2, sizeof c2);
}

/* Message building (AMF0 and the chunk stream, written here from the spec). */
struct buf {
    unsigned char d[8192];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (b->n + n > sizeof b->d)
        abort(); /* test bug */
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void put8(struct buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void put16(struct buf *b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v);
}

static void put24(struct buf *b, uint32_t v)
{
    put8(b, v >> 16);
    put16(b, v & 0xffff);
}

static void put32(struct buf *b, uint32_t v)
{
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}

static void amf_str(struct buf *b, const char *s)
{
    put8(b, 0x02);
    put16(b, (unsigned)strlen(s));
    put(b, s, strlen(s));
}

static void amf_num(struct buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put8(b, 0x00);
    put32(b, (uint32_t)(u >> 32));
    put32(b, (uint32_t)u);
}

static void amf_null(struct buf *b)
{
    put8(b, 0x05);
}

static void amf_key(struct buf *b, const char *k)
{
    put16(b, (unsigned)strlen(k));
    put(b, k, strlen(k));
}

static void amf_obj_end(struct buf *b)
{
    put16(b, 0);
    put8(b, 0x09);
}

/* {level, code, description} */
static void amf_info(struct buf *b, const char *level, const char *code, const char *desc)
{
    put8(b, 0x03);
    amf_key(b, "level");
    amf_str(b, level);
    amf_key(b, "code");
    amf_str(b, code);
    amf_key(b, "description");
    amf_str(b, desc);
    amf_obj_end(b);
}

/* One message: type-0 header, then type-3 continuation headers every SRV_CHUNK bytes. */
static void srv_msg(int fd, int csid, int type, uint32_t sid, uint32_t ts, const void *body,
                    size_t len)
{
    struct buf h = { .n = 0 };
    put8(&h, (unsigned)csid);
    put24(&h, ts);
    put24(&h, (uint32_t)len);
    put8(&h, (unsigned)type);
    put8(&h, sid & 0xff);
    put8(&h, (sid >> 8) & 0xff);
    put8(&h, (sid >> 16) & 0xff);
    put8(&h, sid >> 24);
    srv_write(fd, h.d, h.n);
    const unsigned char *p = body;
    size_t off = 0;
    while (off < len) {
        size_t n = len - off < SRV_CHUNK ? len - off : SRV_CHUNK;
        if (off) {
            unsigned char c = 0xc0 | (unsigned char)csid;
            srv_write(fd, &c, 1);
        }
        srv_write(fd, p + off, n);
        off += n;
    }
}

static void srv_invoke(int fd, int csid, uint32_t sid, const struct buf *b)
{
    srv_msg(fd, csid, 0x14, sid, 0, b->d, b->n);
}

static void srv_connect_result(int fd)
{
    struct buf b = { .n = 0 };
    amf_str(&b, "_result");
    amf_num(&b, 1);
    put8(&b, 0x03);
    amf_key(&b, "fmsVer");
    amf_str(&b, "FMS/3,5,7,7009");
    amf_key(&b, "capabilities");
    amf_num(&b, 31);
    amf_obj_end(&b);
    amf_info(&b, "status", "NetConnection.Connect.Success", "Connection succeeded.");
    srv_invoke(fd, 3, 0, &b);
}

static void srv_connect_error(int fd)
{
    struct buf b = { .n = 0 };
    amf_str(&b, "_error");
    amf_num(&b, 1);
    amf_null(&b);
    amf_info(&b, "error", "NetConnection.Connect.Rejected", "nope");
    srv_invoke(fd, 3, 0, &b);
}

static void srv_create_stream_result(int fd)
{
    struct buf b = { .n = 0 };
    amf_str(&b, "_result");
    amf_num(&b, 2); /* connect was transaction 1, createStream is 2 */
    amf_null(&b);
    amf_num(&b, 1);
    srv_invoke(fd, 3, 0, &b);
}

static void srv_on_status(int fd, const char *level, const char *code)
{
    struct buf b = { .n = 0 };
    amf_str(&b, "onStatus");
    amf_num(&b, 0);
    amf_null(&b);
    amf_info(&b, level, code, "bad server");
    srv_invoke(fd, 5, 1, &b);
}

/* Handshake, connect accepted, createStream answered, play started: the client's
 * RTMP_ConnectStream returns TRUE after this. */
static int srv_play_start(int fd)
{
    if (!srv_handshake(fd))
        return 0;
    srv_connect_result(fd);
    srv_create_stream_result(fd);
    srv_on_status(fd, "status", "NetStream.Play.Start");
    return 1;
}

static void srv_set_chunk_size(int fd, uint32_t v)
{
    struct buf b = { .n = 0 };
    put32(&b, v);
    srv_msg(fd, 2, 0x01, 0, 0, b.d, b.n);
}

/* ---------------------------------------------------------------------------------------- */
/* the server scripts: return 0 when the script ran as intended                             */

static int s_close_at_once(int fd)
{
    (void)fd; /* closed by the caller right away (may reset the connection) */
    return 0;
}

static int s_reset_after_c0c1(int fd)
{
    unsigned char c01[1 + SIG];
    if (!srv_read(fd, c01, sizeof c01))
        return 1;
    struct linger l = { 1, 0 }; /* close() sends RST */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    return 0;
}

static int s_close_after_c0c1(int fd)
{
    unsigned char c01[1 + SIG];
    if (!srv_read(fd, c01, sizeof c01))
        return 1;
    return srv_finish(fd, FIN_CLOSE);
}

/* Reads C0+C1, sends S0 and the first `n` bytes of S1, then ends as `how` says. */
static int srv_partial_s1(int fd, size_t n, int how)
{
    unsigned char c01[1 + SIG], s[1 + SIG];
    if (!srv_read(fd, c01, sizeof c01))
        return 1;
    s[0] = 3;
    fill_random(s + 1, n);
    srv_write(fd, s, 1 + n);
    return srv_finish(fd, how);
}

static int s_partial_s0s1(int fd)
{
    return srv_partial_s1(fd, 700, FIN_CLOSE);
}

static int s_partial_s2(int fd)
{
    unsigned char c01[1 + SIG], s[1 + SIG + SIG / 2];
    if (!srv_read(fd, c01, sizeof c01))
        return 1;
    s[0] = 3;
    fill_random(s + 1, SIG);
    memcpy(s + 1 + SIG, c01 + 1, SIG / 2);
    srv_write(fd, s, sizeof s);
    return srv_finish(fd, FIN_CLOSE);
}

static int s_silent(int fd)
{
    return srv_finish(fd, FIN_SILENT);
}

static int s_stall_in_s1(int fd)
{
    return srv_partial_s1(fd, 100, FIN_SILENT);
}

static int s_garbage_handshake(int fd)
{
    static unsigned char g[1 + 2 * SIG + 4096];
    unsigned char c01[1 + SIG];
    if (!srv_read(fd, c01, sizeof c01))
        return 1;
    fill_random(g, sizeof g);
    srv_write(fd, g, sizeof g);
    return srv_finish(fd, FIN_CLOSE);
}

static int s_garbage_after_handshake(int fd)
{
    static unsigned char g[8192];
    if (!srv_handshake(fd))
        return 1;
    fill_random(g, sizeof g);
    srv_write(fd, g, sizeof g);
    return srv_finish(fd, FIN_CLOSE);
}

static int s_error_close(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    srv_connect_error(fd);
    return srv_finish(fd, FIN_CLOSE);
}

static int s_error_silent(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    srv_connect_error(fd);
    return srv_finish(fd, FIN_SILENT);
}

/* A type-0 header announcing a 0xFFFFFF-byte body (timestamp 0, stream 0), then `n` random
 * body bytes (at most one chunk). */
static void srv_huge_header(int fd, int csid, int type, size_t n)
{
    static unsigned char body[SRV_CHUNK];
    struct buf h = { .n = 0 };
    put8(&h, (unsigned)csid);
    put24(&h, 0);
    put24(&h, 0xFFFFFF);
    put8(&h, (unsigned)type);
    put32(&h, 0);
    srv_write(fd, h.d, h.n);
    fill_random(body, sizeof body);
    srv_write(fd, body, n < sizeof body ? n : sizeof body);
}

static int s_huge_body_eof(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    srv_huge_header(fd, 3, 0x14, 50);
    return srv_finish(fd, FIN_CLOSE);
}

static int s_huge_body_silent(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    srv_huge_header(fd, 3, 0x14, 50);
    return srv_finish(fd, FIN_SILENT);
}

static int s_huge_bodies_many_streams(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    for (int csid = 3; csid < 3 + 8; csid++)
        srv_huge_header(fd, csid, 0x09, SRV_CHUNK); /* one full chunk each */
    return srv_finish(fd, FIN_CLOSE);
}

/* A 300-byte data message in 128-byte chunks (desynchronises a client that took the new
 * chunk size), then EOF. */
static void srv_data_after_chunk_size(int fd)
{
    struct buf b = { .n = 0 };
    amf_str(&b, "onBadServer");
    while (b.n < 300)
        amf_num(&b, (double)b.n);
    srv_msg(fd, 4, 0x12, 1, 0, b.d, b.n);
}

static int s_chunk_size_zero(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    srv_set_chunk_size(fd, 0);
    srv_data_after_chunk_size(fd);
    return srv_finish(fd, FIN_CLOSE);
}

static int s_chunk_size_bit31(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    srv_set_chunk_size(fd, 0x80000000u);
    srv_data_after_chunk_size(fd);
    return srv_finish(fd, FIN_CLOSE);
}

/* Control messages with bodies too short for their fields. */
static int s_short_control_bodies(int fd)
{
    static const unsigned char one[1] = { 0x01 }, two[2] = { 0x00, 0x10 };
    if (!srv_handshake(fd))
        return 1;
    srv_msg(fd, 2, 0x01, 0, 0, two, 2); /* Set Chunk Size */
    srv_msg(fd, 2, 0x05, 0, 0, one, 1); /* Window Acknowledgement Size */
    srv_msg(fd, 2, 0x06, 0, 0, two, 2); /* Set Peer Bandwidth */
    srv_msg(fd, 2, 0x04, 0, 0, one, 1); /* User Control */
    srv_msg(fd, 2, 0x03, 0, 0, one, 1); /* Acknowledgement */
    srv_msg(fd, 2, 0x02, 0, 0, one, 1); /* Abort */
    srv_connect_result(fd);
    return srv_finish(fd, FIN_CLOSE);
}

static int s_no_create_stream_answer(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    srv_connect_result(fd);
    return srv_finish(fd, FIN_SILENT);
}

static int s_close_invoke(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    struct buf b = { .n = 0 };
    amf_str(&b, "close");
    amf_num(&b, 0);
    amf_null(&b);
    srv_invoke(fd, 3, 0, &b);
    return srv_finish(fd, FIN_SILENT); /* the client must close by itself */
}

static int s_stream_not_found(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    srv_connect_result(fd);
    srv_create_stream_result(fd);
    srv_on_status(fd, "error", "NetStream.Play.StreamNotFound");
    return srv_finish(fd, FIN_SILENT); /* the client must close by itself */
}

static int s_nested_amf(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    struct buf b = { .n = 0 };
    amf_str(&b, "onStatus");
    amf_num(&b, 0);
    amf_null(&b);
    for (int i = 0; i < 200; i++) { /* {a: {a: {a: ... */
        put8(&b, 0x03);
        amf_key(&b, "a");
    }
    amf_null(&b);
    for (int i = 0; i < 200; i++)
        amf_obj_end(&b);
    srv_invoke(fd, 3, 0, &b);
    return srv_finish(fd, FIN_CLOSE);
}

/* A type-1 header for a bigger message on a chunk stream whose message is half read (the
 * librtmp 2.4 heap overflow shape), then EOF. */
static int s_header_mid_message(int fd)
{
    static unsigned char body[4000];
    if (!srv_handshake(fd))
        return 1;
    fill_random(body, sizeof body);
    struct buf h = { .n = 0 };
    put8(&h, 5); /* fmt 0, csid 5 */
    put24(&h, 0);
    put24(&h, 300);
    put8(&h, 0x12);
    put32(&h, 0x01000000); /* stream 1, little-endian */
    srv_write(fd, h.d, h.n);
    srv_write(fd, body, SRV_CHUNK);
    h.n = 0;
    put8(&h, 0x40 | 5); /* fmt 1, csid 5 */
    put24(&h, 0);
    put24(&h, sizeof body);
    put8(&h, 0x12);
    srv_write(fd, h.d, h.n);
    for (size_t off = 0; off < sizeof body; off += SRV_CHUNK) {
        if (off) {
            unsigned char c = 0xc0 | 5;
            srv_write(fd, &c, 1);
        }
        srv_write(fd, body + off, sizeof body - off < SRV_CHUNK ? sizeof body - off : SRV_CHUNK);
    }
    return srv_finish(fd, FIN_CLOSE);
}

/* Media that RTMP_Read turns into the FLV prologue: video at 0, audio at 40. */
/* A video message at `ts`, an audio message at `ts` + 40. */
static void srv_media_at(int fd, uint32_t ts)
{
    unsigned char v[20], a[10];
    memset(v, 0, sizeof v);
    v[0] = 0x17; /* AVC keyframe */
    memset(a, 0, sizeof a);
    a[0] = 0xaf; /* AAC */
    srv_msg(fd, 6, 0x09, 1, ts, v, sizeof v);
    srv_msg(fd, 4, 0x08, 1, ts + 40, a, sizeof a);
}

static void srv_some_media(int fd)
{
    srv_media_at(fd, 0);
}

/* The first 10 bytes of a 1000-byte video message at timestamp `ts` (type 0 header, chunk
 * stream 6, stream 1). */
static void srv_partial_video(int fd, uint32_t ts)
{
    struct buf h = { .n = 0 };
    put8(&h, 6);
    put24(&h, ts);
    put24(&h, 1000);
    put8(&h, 0x09);
    put32(&h, 0x01000000);
    put(&h, "\x27\0\0\0\0\0\0\0\0\0", 10);
    srv_write(fd, h.d, h.n);
}

static int s_truncated_media(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    srv_some_media(fd);
    srv_partial_video(fd, 80);
    return srv_finish(fd, FIN_CLOSE);
}

static int s_media_then_silent(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    srv_some_media(fd);
    return srv_finish(fd, FIN_SILENT);
}

static int s_media_then_garbage(int fd)
{
    static unsigned char g[8192];
    if (!srv_play_start(fd))
        return 1;
    srv_some_media(fd);
    fill_random(g, sizeof g);
    srv_write(fd, g, sizeof g);
    return srv_finish(fd, FIN_CLOSE);
}

/* A header whose timestamp field says "extended" (0xFFFFFF), then EOF before the 4 bytes. */
static int s_truncated_extended_timestamp(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    struct buf h = { .n = 0 };
    put8(&h, 3);
    put24(&h, 0xFFFFFF);
    put24(&h, 10);
    put8(&h, 0x14);
    put32(&h, 0);
    put16(&h, 0); /* 2 of the 4 extended timestamp bytes */
    srv_write(fd, h.d, h.n);
    return srv_finish(fd, FIN_CLOSE);
}

/* The largest chunk stream id (3-byte basic header: 64 + 255 + 255 * 256), a partial body,
 * then EOF. */
static int s_highest_chunk_stream_id(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    struct buf h = { .n = 0 };
    put8(&h, 0x01); /* fmt 0, csid 1: two more id bytes follow */
    put8(&h, 0xff);
    put8(&h, 0xff);
    put24(&h, 0);
    put24(&h, 200);
    put8(&h, 0x12);
    put32(&h, 0);
    put(&h, "0123456789", 10);
    srv_write(fd, h.d, h.n);
    return srv_finish(fd, FIN_CLOSE);
}

/* During play: an aggregate message whose sub-tag claims more data than the message holds. */
static int s_aggregate_overrun(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    srv_some_media(fd);
    struct buf b = { .n = 0 };
    put8(&b, 0x09);    /* sub-tag: video */
    put24(&b, 1000);   /* data size: far more than follows */
    put24(&b, 80);     /* timestamp */
    put8(&b, 0);
    put24(&b, 0);      /* stream id */
    for (int i = 0; i < 20; i++)
        put8(&b, i ? 0 : 0x27);
    srv_msg(fd, 6, 0x16, 1, 80, b.d, b.n);
    return srv_finish(fd, FIN_CLOSE);
}

/* During play: an aggregate message of 5 bytes (shorter than a sub-tag header). */
static int s_aggregate_tiny(int fd)
{
    static const unsigned char tiny[5] = { 0x09, 0x00, 0x00, 0x01, 0x00 };
    if (!srv_play_start(fd))
        return 1;
    srv_some_media(fd);
    srv_msg(fd, 6, 0x16, 1, 80, tiny, sizeof tiny);
    return srv_finish(fd, FIN_CLOSE);
}

/* During play: onMetaData whose AMF is cut in the middle of a string, then EOF. */
static int s_truncated_metadata(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    struct buf b = { .n = 0 };
    amf_str(&b, "onMetaData");
    put8(&b, 0x08); /* ECMA array */
    put32(&b, 2);
    amf_key(&b, "duration");
    amf_num(&b, 10);
    amf_key(&b, "videocodecid");
    put8(&b, 0x02);
    put16(&b, 500); /* string length far beyond the body */
    put(&b, "abc", 3);
    srv_msg(fd, 4, 0x12, 1, 0, b.d, b.n);
    srv_some_media(fd);
    return srv_finish(fd, FIN_CLOSE);
}

/* ---------------------------------------------------------------------------------------- */
/* scenarios                                                                                */

enum stage {
    AT_CONNECT,        /* RTMP_Connect returns FALSE */
    AT_STREAM,         /* RTMP_Connect TRUE, RTMP_ConnectStream FALSE */
    AT_CONNECT_OR_STREAM,
    AT_READ,           /* play starts; the RTMP_Read loop ends (<= 0, closed or timed out) */
};

enum end_state {
    END_CLOSED,        /* RTMP_IsConnected is false before RTMP_Close */
    END_TIMEDOUT,      /* failed by the receive timeout: RTMP_IsTimedout, >= 0.5 s */
    END_ANY,
};

struct scenario {
    const char *name;
    int (*server)(int fd);
    enum stage stage;
    enum end_state end;
    const char *log_needle; /* optional text our library must have logged */
};

static const struct scenario scenarios[] = {
    { "close right after accept", s_close_at_once, AT_CONNECT, END_CLOSED, "handshake failed" },
    { "reset after C0+C1", s_reset_after_c0c1, AT_CONNECT, END_CLOSED, "handshake failed" },
    { "EOF after C0+C1", s_close_after_c0c1, AT_CONNECT, END_CLOSED, "handshake failed" },
    { "EOF in the middle of S1", s_partial_s0s1, AT_CONNECT, END_CLOSED, "handshake failed" },
    { "EOF in the middle of S2", s_partial_s2, AT_CONNECT, END_CLOSED, "handshake failed" },
    { "silent server", s_silent, AT_CONNECT, END_TIMEDOUT, "handshake failed" },
    { "stall in the middle of S1", s_stall_in_s1, AT_CONNECT, END_TIMEDOUT, "handshake failed" },
    { "garbage instead of a handshake", s_garbage_handshake, AT_CONNECT_OR_STREAM, END_ANY, NULL },
    { "garbage after the handshake", s_garbage_after_handshake, AT_STREAM, END_ANY, NULL },
    { "_error to connect, then EOF", s_error_close, AT_STREAM, END_CLOSED, "server sent error" },
    { "_error to connect, then silence", s_error_silent, AT_STREAM, END_TIMEDOUT,
      "server sent error" },
    { "16 MiB body announced, EOF after 50 bytes", s_huge_body_eof, AT_STREAM, END_CLOSED, NULL },
    { "16 MiB body announced, silence after 50 bytes", s_huge_body_silent, AT_STREAM,
      END_TIMEDOUT, NULL },
    { "16 MiB bodies on 8 chunk streams", s_huge_bodies_many_streams, AT_STREAM, END_ANY, NULL },
    { "Set Chunk Size 0, then data", s_chunk_size_zero, AT_STREAM, END_CLOSED, "chunk size" },
    { "Set Chunk Size with bit 31 set, then data", s_chunk_size_bit31, AT_STREAM, END_CLOSED,
      "chunk size" },
    { "control messages with short bodies", s_short_control_bodies, AT_STREAM, END_CLOSED, NULL },
    { "connect accepted, createStream never answered", s_no_create_stream_answer, AT_STREAM,
      END_TIMEDOUT, NULL },
    { "close command", s_close_invoke, AT_STREAM, END_CLOSED, "requested close" },
    { "play: StreamNotFound", s_stream_not_found, AT_STREAM, END_CLOSED,
      "NetStream.Play.StreamNotFound" },
    { "AMF nested 200 levels deep", s_nested_amf, AT_STREAM, END_CLOSED, NULL },
    { "bigger message header in the middle of a message", s_header_mid_message, AT_STREAM,
      END_ANY, NULL },
    { "extended timestamp cut short by EOF", s_truncated_extended_timestamp, AT_STREAM,
      END_CLOSED, NULL },
    { "chunk stream id 65599, EOF mid-message", s_highest_chunk_stream_id, AT_STREAM, END_CLOSED,
      NULL },
    { "play: onMetaData with truncated AMF", s_truncated_metadata, AT_READ, END_CLOSED, NULL },
    { "play: aggregate sub-tag overruns the message", s_aggregate_overrun, AT_READ, END_ANY,
      NULL },
    { "play: aggregate of 5 bytes", s_aggregate_tiny, AT_READ, END_CLOSED, NULL },
    { "play: media, then a truncated message and EOF", s_truncated_media, AT_READ, END_CLOSED,
      NULL },
    { "play: media, then silence", s_media_then_silent, AT_READ, END_TIMEDOUT, NULL },
    { "play: media, then garbage", s_media_then_garbage, AT_READ, END_ANY, NULL },
};

/* The lowest free file descriptor: the same before and after a scenario unless one leaked. */
static int lowest_free_fd(void)
{
    int fd = dup(2);
    if (fd >= 0)
        close(fd);
    return fd;
}

/* Forks the server; returns its pid and the port, or -1. */
static pid_t start_server(const struct scenario *sc, int *port)
{
    const char *what;
    int ls = listen_loopback(port, &what);
    if (ls < 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(ls);
        return -1;
    }
    if (pid > 0) {
        close(ls); /* the child's copy keeps listening */
        return pid;
    }
    /* child: the server */
    signal(SIGALRM, SIG_DFL);
    alarm(15); /* last resort: never outlive the scenario */
    struct pollfd p = { ls, POLLIN, 0 };
    if (poll(&p, 1, SRV_DEADLINE_MS) <= 0)
        _exit(10);
    int fd = accept(ls, NULL, NULL);
    close(ls);
    if (fd < 0)
        _exit(11);
    struct timeval tv = { 5, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc = sc->server(fd);
    close(fd);
    _exit(rc ? 12 : 0);
}

static void run(const struct scenario *sc)
{
    int failures_before = test_failures;
    log_reset();
    cur_name = sc->name;

    int free_fd = lowest_free_fd();
    int port = 0;
    pid_t child = start_server(sc, &port);
    CHECK(child > 0, "%s: cannot start the server (%s)", sc->name, strerror(errno));
    if (child <= 0)
        return;
    cur_peer = child;
    alarm(WATCHDOG_S);

    double t0 = now_s();
    char url[128];
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/app/stream timeout=1", port);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    int setup = RTMP_SetupURL(r, url);
    int connected = setup ? RTMP_Connect(r, NULL) : 0;
    int streaming = connected ? RTMP_ConnectStream(r, 0) : 0;
    struct download dl = { 0, 0, 0, 0, 0 };
    if (streaming)
        download_loop(r, &dl);
    int still_connected = RTMP_IsConnected(r);
    int timed_out = RTMP_IsTimedout(r);
    RTMP_Close(r);
    RTMP_Free(r);
    double elapsed = now_s() - t0;
    alarm(0);

    int srv = reap_peer(child, SRV_EXIT_S);
    cur_peer = -1;

    CHECK(setup, "%s: RTMP_SetupURL(%s) failed", sc->name, url);
    switch (sc->stage) {
    case AT_CONNECT:
        CHECK(!connected, "%s: RTMP_Connect returned TRUE", sc->name);
        break;
    case AT_STREAM:
        CHECK(connected, "%s: RTMP_Connect returned FALSE, expected TRUE", sc->name);
        CHECK(!streaming, "%s: RTMP_ConnectStream returned TRUE", sc->name);
        break;
    case AT_CONNECT_OR_STREAM:
        CHECK(!connected || !streaming, "%s: RTMP_Connect and RTMP_ConnectStream succeeded",
              sc->name);
        break;
    case AT_READ:
        CHECK(connected && streaming, "%s: play did not start (Connect %d, ConnectStream %d)",
              sc->name, connected, streaming);
        CHECK(dl.rounds < 10000, "%s: RTMP_Read loop did not end (%d rounds)", sc->name,
              dl.rounds);
        CHECK(dl.again <= 0, "%s: RTMP_Read after the failure returned %d", sc->name, dl.again);
        CHECK(dl.status < 0, "%s: m_read.status is %d at the end, not EOF/ERROR/COMPLETE",
              sc->name, dl.status);
        /* the FLV header at least, unless the session broke within the stream's first
         * packets: then the first RTMP_Read fails (-1, RTMP_READ_ERROR) with no bytes */
        CHECK(dl.total >= 13 || (dl.last == -1 && dl.status == RTMP_READ_ERROR),
              "%s: only %ld FLV bytes before the failure (last %d, status %d)", sc->name,
              dl.total, dl.last, dl.status);
        break;
    }
    switch (sc->end) {
    case END_CLOSED:
        CHECK(!still_connected, "%s: still connected at the end", sc->name);
        break;
    case END_TIMEDOUT:
        CHECK(timed_out, "%s: RTMP_IsTimedout is false at the end", sc->name);
        CHECK(elapsed >= 0.5, "%s: failed after %.3f s, before the 1 s receive timeout could fire",
              sc->name, elapsed);
        break;
    case END_ANY:
        break;
    }
    CHECK(elapsed < MAX_ELAPSED_S, "%s: took %.1f s (hang?)", sc->name, elapsed);
    CHECK(log_bad > 0, "%s: no ERROR or WARNING line logged", sc->name);
    if (sc->log_needle)
        CHECK(log_contains(sc->log_needle), "%s: no log line with \"%s\"", sc->name,
              sc->log_needle);
    int free_fd_after = lowest_free_fd();
    CHECK(free_fd_after == free_fd, "%s: file descriptor %d leaked", sc->name, free_fd);
    CHECK(srv == 0, "%s: server script did not complete (status %d)", sc->name, srv);

    if (test_failures != failures_before || log_verbose) {
        fprintf(stderr, "%s scenario \"%s\" (%.2f s, connect %d, stream %d, read %d rounds %ld bytes, "
                "last %d, again %d, status %d, connected %d, timedout %d), log:\n%s",
                test_failures != failures_before ? "FAILED" : "ok", sc->name, elapsed,
                connected, streaming, dl.rounds, dl.total, dl.last, dl.again, dl.status,
                still_connected, timed_out, log_text);
    }
    cur_name = NULL;
}

/* GStreamer's rtmpsrc aborts a blocked RTMP_Read by calling RTMP_Close from another thread. The
 * server starts the stream and then says nothing (the session timeout is 30 s); the read must
 * return soon after the close, and nothing may be freed twice (valgrind/ASan runs). */
static int s_play_then_silent(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    return srv_finish(fd, FIN_SILENT);
}

struct reader {
    RTMP *r;
    int result;
    double returned_at;
};

static void *blocked_read(void *arg)
{
    struct reader *rd = arg;
    static char buf[4096];
    rd->result = RTMP_Read(rd->r, buf, sizeof buf);
    rd->returned_at = now_s();
    return NULL;
}

static void close_from_another_thread(void)
{
    static const struct scenario sc = { "RTMP_Close from another thread", s_play_then_silent,
                                        AT_READ, END_CLOSED, NULL };
    int port = 0;
    log_reset();
    cur_name = sc.name;
    pid_t child = start_server(&sc, &port);
    CHECK(child > 0, "%s: cannot start the server", sc.name);
    if (child <= 0)
        return;
    cur_peer = child;
    alarm(WATCHDOG_S);
    char url[128];
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/app/stream timeout=30", port);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    int ok = RTMP_SetupURL(r, url) && RTMP_Connect(r, NULL) && RTMP_ConnectStream(r, 0);
    CHECK(ok, "%s: the stream did not start", sc.name);
    if (ok) {
        struct reader rd = { r, 1, 0 };
        pthread_t th;
        pthread_create(&th, NULL, blocked_read, &rd);
        usleep(300000); /* the reader is blocked in the receive by now */
        double closed_at = now_s();
        RTMP_Close(r);
        pthread_join(th, NULL);
        CHECK(rd.result <= 0, "%s: RTMP_Read returned %d", sc.name, rd.result);
        CHECK(rd.returned_at - closed_at < 5.0, "%s: the read returned %.1f s after the close",
              sc.name, rd.returned_at - closed_at);
        CHECK(!RTMP_IsConnected(r), "%s: still connected", sc.name);
    }
    RTMP_Close(r); /* a second close is harmless */
    RTMP_Free(r);
    alarm(0);
    reap_peer(child, SRV_EXIT_S);
    cur_peer = -1;
}

/* Clean ends. The server plays some media, then ends the stream and says nothing more (the
 * connection stays open): a Stream EOF user control event for the played stream (how
 * nginx-rtmp ends a live stream whose publisher stops), or Play.Complete / Play.Stop. The read
 * loop must see the end at once (not after the 5 s receive timeout): the call that finds it
 * returns 0 with m_read.status RTMP_READ_COMPLETE and the handle still connected (rtmpsrc
 * reconnects when it finds the handle closed before its next read), the next call closes it
 * and returns 0 again (rtmpdump's loop makes that call and ends). */
static void srv_user_control(int fd, unsigned event, uint32_t value)
{
    struct buf b = { .n = 0 };
    put16(&b, event);
    put32(&b, value);
    srv_msg(fd, 2, 0x04, 0, 0, b.d, b.n);
}

/* Three rounds of media (0 to 200 ms): the stream goes on after the first RTMP_Read, which
 * takes the FLV header, the packets up to the first non-zero timestamp and one more. */
static void srv_media_rounds(int fd)
{
    for (uint32_t ts = 0; ts < 240; ts += 80)
        srv_media_at(fd, ts);
}

static int s_media_then_stream_eof(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    srv_media_rounds(fd);
    srv_user_control(fd, 1, 1);
    return srv_finish(fd, FIN_SILENT);
}

static int srv_media_then_status(int fd, const char *code)
{
    if (!srv_play_start(fd))
        return 1;
    srv_media_rounds(fd);
    srv_on_status(fd, "status", code);
    return srv_finish(fd, FIN_SILENT);
}

static int s_media_then_play_complete(int fd)
{
    return srv_media_then_status(fd, "NetStream.Play.Complete");
}

static int s_media_then_play_stop(int fd)
{
    return srv_media_then_status(fd, "NetStream.Play.Stop");
}

/* The end right after the first packets: found by the first RTMP_Read, which returns data;
 * closed at once, as librtmp does. */
static int s_end_with_first_packets(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    srv_some_media(fd);
    srv_on_status(fd, "status", "NetStream.Play.Complete");
    return srv_finish(fd, FIN_SILENT);
}

/* Stream EOF for another stream than the played one, then Play.Complete: the first is not
 * the end (the media after it arrives). */
static int s_other_stream_eof(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    srv_user_control(fd, 1, 7);
    srv_media_rounds(fd);
    srv_on_status(fd, "status", "NetStream.Play.Complete");
    return srv_finish(fd, FIN_SILENT);
}

/* Debian's rtmpdump (BAD_SERVER_RTMPDUMP=its path; run-tests.sh sets it) on this library
 * against a fresh instance of the case's server: a clean end must exit 0 ("Download
 * complete"), a broken session non-zero ("Download may be incomplete", 2), without waiting for
 * the 5 s receive timeout. Skipped when the variable is not set (the valgrind and ASan runs). */
static void rtmpdump_case(const char *name, int (*server)(int), int clean)
{
    const char *dump = getenv("BAD_SERVER_RTMPDUMP");
    if (!dump || !*dump)
        return;
    const struct scenario sc = { name, server, AT_READ, END_CLOSED, NULL };
    int port = 0;
    cur_name = name;
    pid_t child = start_server(&sc, &port);
    CHECK(child > 0, "%s (rtmpdump): cannot start the server", name);
    if (child <= 0)
        return;
    cur_peer = child;
    alarm(WATCHDOG_S);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "'%s' -q -m 5 -r 'rtmp://127.0.0.1:%d/app/stream' -o /dev/null >/dev/null 2>&1",
             dump, port);
    double t0 = now_s();
    int st = system(cmd);
    double elapsed = now_s() - t0;
    alarm(0);
    int rc = st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    reap_peer(child, SRV_EXIT_S);
    cur_peer = -1;
    if (clean)
        CHECK(rc == 0, "%s: rtmpdump exited %d after a clean end, not 0", name, rc);
    else
        CHECK(rc > 0 && rc < 128, "%s: rtmpdump exited %d after a broken session, not an error",
              name, rc);
    CHECK(elapsed < 4.0, "%s: rtmpdump took %.2f s (the receive timeout is 5 s)", name, elapsed);
    cur_name = NULL;
}

/* One end-of-stream case: the server, RTMP_Connect + RTMP_ConnectStream on a 5 s timeout, then
 * `check` on the playing handle (t0: before the connect); the server's script, the file
 * descriptors and the log (shown when a check failed) are checked here. */
static void end_case(const char *name, int (*server)(int),
                     void (*check)(const char *name, RTMP *r, double t0, const void *arg),
                     const void *arg)
{
    const struct scenario sc = { name, server, AT_READ, END_CLOSED, NULL };
    int port = 0;
    int failures_before = test_failures;
    log_reset();
    cur_name = name;
    int free_fd = lowest_free_fd();
    pid_t child = start_server(&sc, &port);
    CHECK(child > 0, "%s: cannot start the server", name);
    if (child <= 0)
        return;
    cur_peer = child;
    alarm(WATCHDOG_S);
    char url[128];
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/app/stream timeout=5", port);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    double t0 = now_s();
    int ok = RTMP_SetupURL(r, url) && RTMP_Connect(r, NULL) && RTMP_ConnectStream(r, 0);
    CHECK(ok, "%s: the stream did not start", name);
    if (ok)
        check(name, r, t0, arg);
    RTMP_Close(r);
    RTMP_Free(r);
    alarm(0);
    int srv = reap_peer(child, SRV_EXIT_S);
    cur_peer = -1;
    CHECK(srv == 0, "%s: server script did not complete (status %d)", name, srv);
    CHECK(lowest_free_fd() == free_fd, "%s: file descriptor %d leaked", name, free_fd);
    if (test_failures != failures_before || log_verbose)
        fprintf(stderr, "%s \"%s\", log:\n%s",
                test_failures != failures_before ? "FAILED" : "ok", name, log_text);
    cur_name = NULL;
}

struct clean_expect {
    long min_bytes;
    int closed_at_end;
};

static void check_clean(const char *name, RTMP *r, double t0, const void *arg)
{
    const struct clean_expect *e = arg;
    static char buf[65536];
    long total = 0;
    int k, rounds = 0;
    while ((k = RTMP_Read(r, buf, sizeof buf)) > 0 && ++rounds < 1000)
        total += k;
    double elapsed = now_s() - t0;
    CHECK(k == 0, "%s: RTMP_Read returned %d at the end, not 0", name, k);
    CHECK(r->m_read.status == RTMP_READ_COMPLETE, "%s: m_read.status %d, not COMPLETE", name,
          r->m_read.status);
    CHECK(total >= e->min_bytes, "%s: %ld FLV bytes, expected at least %ld", name, total,
          e->min_bytes);
    CHECK(elapsed < 2.5, "%s: the end was seen after %.2f s (the receive timeout is 5 s)", name,
          elapsed);
    CHECK(RTMP_IsConnected(r) == !e->closed_at_end, "%s: %s when RTMP_Read returned 0", name,
          e->closed_at_end ? "still connected" : "closed");
    k = RTMP_Read(r, buf, sizeof buf);
    CHECK(k == 0, "%s: the call after the end returned %d", name, k);
    CHECK(!RTMP_IsConnected(r), "%s: still connected after the call after the end", name);
    CHECK(r->m_read.status == RTMP_READ_COMPLETE, "%s: m_read.status %d after the close", name,
          r->m_read.status);
    CHECK(RTMP_Read(r, buf, sizeof buf) == 0, "%s: a third call did not return 0", name);
}

static void clean_end(const char *name, int (*server)(int), long min_bytes, int closed_at_end)
{
    const struct clean_expect e = { min_bytes, closed_at_end };
    end_case(name, server, check_clean, &e);
    rtmpdump_case(name, server, 1);
}

static void clean_ends(void)
{
    /* FLV header (13) + 3 x (video tag (11 + 20 + 4) + audio tag (11 + 10 + 4)) */
    const long media = 13 + 3 * (35 + 25);
    clean_end("end: media, then Stream EOF (live stream whose publisher stopped)",
              s_media_then_stream_eof, media, 0);
    clean_end("end: media, then Play.Complete", s_media_then_play_complete, media, 0);
    clean_end("end: media, then Play.Stop", s_media_then_play_stop, media, 0);
    clean_end("end: Stream EOF of another stream, media, then Play.Complete", s_other_stream_eof,
              media, 0);
    clean_end("end: Play.Complete right after the first packets", s_end_with_first_packets,
              13 + 35 + 25, 1);
}

/* Broken sessions: media, then something that ends the session on an error. RTMP_Read must
 * report an error (-1, RTMP_READ_ERROR, the handle closed), never the end of the stream. */
static int srv_media_then(int fd, void (*what)(int))
{
    if (!srv_play_start(fd))
        return 1;
    srv_media_rounds(fd);
    what(fd);
    return srv_finish(fd, FIN_SILENT);
}

static void send_chunk_size_zero(int fd)
{
    srv_set_chunk_size(fd, 0);
    srv_media_at(fd, 400);
}

static void send_type3_on_new_stream(int fd)
{
    unsigned char c[1 + 3] = { 0xc0 | 40, 1, 2, 3 }; /* fmt 3 on chunk stream 40, never used */
    srv_write(fd, c, sizeof c);
}

static void send_play_failed(int fd)
{
    srv_on_status(fd, "error", "NetStream.Play.Failed");
}

static void send_close_command(int fd)
{
    struct buf b = { .n = 0 };
    amf_str(&b, "close");
    amf_num(&b, 0);
    amf_null(&b);
    srv_invoke(fd, 3, 0, &b);
}

static int s_broken_chunk_size_zero(int fd)
{
    return srv_media_then(fd, send_chunk_size_zero);
}

static int s_broken_type3(int fd)
{
    return srv_media_then(fd, send_type3_on_new_stream);
}

static int s_broken_play_failed(int fd)
{
    return srv_media_then(fd, send_play_failed);
}

static int s_broken_close(int fd)
{
    return srv_media_then(fd, send_close_command);
}

/* Media, then 10 bytes of a 1000-byte video message, then the server's orderly close: the
 * connection ends in the middle of a message, so the stream is cut short. */
static int s_broken_eof_mid_message(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    srv_media_rounds(fd);
    srv_partial_video(fd, 400);
    return srv_finish(fd, FIN_CLOSE);
}

static void check_broken(const char *name, RTMP *r, double t0, const void *arg)
{
    (void)arg;
    struct download dl = { 0, 0, 0, 0, 0 };
    download_loop(r, &dl);
    CHECK(dl.last == -1, "%s: RTMP_Read returned %d at the end, not -1", name, dl.last);
    CHECK(dl.status == RTMP_READ_ERROR, "%s: m_read.status %d, not RTMP_READ_ERROR", name,
          dl.status);
    CHECK(dl.again == -1, "%s: the call after the error returned %d", name, dl.again);
    CHECK(!RTMP_IsConnected(r), "%s: still connected", name);
    CHECK(dl.total >= 13 + 3 * (35 + 25), "%s: only %ld FLV bytes before the error", name,
          dl.total);
    CHECK(now_s() - t0 < 2.5, "%s: took %.2f s (the receive timeout is 5 s)", name, now_s() - t0);
    CHECK(log_contains("the session ended on an error"), "%s: no ERROR line for the end", name);
}

static void broken_end(const char *name, int (*server)(int))
{
    end_case(name, server, check_broken, NULL);
    rtmpdump_case(name, server, 0);
}

static void broken_ends(void)
{
    broken_end("broken: media, then Set Chunk Size 0", s_broken_chunk_size_zero);
    broken_end("broken: media, then a type-3 header on a new chunk stream", s_broken_type3);
    broken_end("broken: media, then NetStream.Play.Failed", s_broken_play_failed);
    broken_end("broken: media, then the server's close command", s_broken_close);
    broken_end("broken: media, then EOF in the middle of a message", s_broken_eof_mid_message);
}

/* ---------------------------------------------------------------------------------------- */
/* Stalled peers: a read or write that the peer never completes must fail within Link.timeout
 * plus a margin (2 s + 2 s here), never block for ever.                                      */

#define STALL_TIMEOUT_S 2
#define STALL_MARGIN_S 2.0

/* Play: media, then a video message of 1000 bytes of which only 10 arrive; then silence. */
static int s_stall_mid_message(int fd)
{
    if (!srv_play_start(fd))
        return 1;
    srv_media_rounds(fd);
    srv_partial_video(fd, 80);
    return srv_finish(fd, FIN_SILENT);
}

/* Publish: connect, createStream (transaction 4 after releaseStream and FCPublish) and
 * Publish.Start answered, then the server stops reading until the client closes. */
static int s_publish_then_stop_reading(int fd)
{
    if (!srv_handshake(fd))
        return 1;
    srv_connect_result(fd);
    struct buf b = { .n = 0 };
    amf_str(&b, "_result");
    amf_num(&b, 4);
    amf_null(&b);
    amf_num(&b, 1);
    srv_invoke(fd, 3, 0, &b);
    srv_on_status(fd, "status", "NetStream.Publish.Start");
    /* no reads: wait (without draining) until the client's close arrives as a hang-up */
    struct pollfd p = { fd, POLLRDHUP, 0 };
    poll(&p, 1, SRV_DEADLINE_MS);
    return 0;
}

static void stall_play(void)
{
    const char *name = "stall: play, the server stops in the middle of a message";
    const struct scenario sc = { name, s_stall_mid_message, AT_READ, END_TIMEDOUT, NULL };
    int port = 0;
    int failures_before = test_failures;
    log_reset();
    cur_name = name;
    pid_t child = start_server(&sc, &port);
    CHECK(child > 0, "%s: cannot start the server", name);
    if (child <= 0)
        return;
    cur_peer = child;
    alarm(WATCHDOG_S);
    char url[128];
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/app/stream timeout=%d", port, STALL_TIMEOUT_S);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    int ok = RTMP_SetupURL(r, url) && RTMP_Connect(r, NULL) && RTMP_ConnectStream(r, 0);
    CHECK(ok, "%s: the stream did not start", name);
    double t0 = now_s();
    char buf[65536];
    int n = 1, rounds = 0;
    while (ok && n > 0 && rounds++ < 1000)
        n = RTMP_Read(r, buf, sizeof buf);
    double took = now_s() - t0;
    CHECK(ok && n <= 0, "%s: RTMP_Read returned %d", name, n);
    CHECK(RTMP_IsTimedout(r), "%s: RTMP_IsTimedout is false", name);
    CHECK(took >= STALL_TIMEOUT_S - 0.5 && took < STALL_TIMEOUT_S + STALL_MARGIN_S,
          "%s: RTMP_Read returned after %.2f s (timeout %d s)", name, took, STALL_TIMEOUT_S);
    RTMP_Close(r);
    RTMP_Free(r);
    alarm(0);
    reap_peer(child, SRV_EXIT_S);
    cur_peer = -1;
    if (test_failures != failures_before || log_verbose)
        fprintf(stderr, "%s \"%s\" (%.2f s), log:\n%s",
                test_failures != failures_before ? "FAILED" : "ok", name, took, log_text);
    cur_name = NULL;
}

/* own_socket: connected by the test and handed over with RTMP_Connect1, as curl does (the
 * library gives it the timeouts RTMP_Connect0 gives its own sockets). */
static void stall_publish(int own_socket)
{
    const char *name = own_socket
        ? "stall: publish on a caller's socket (RTMP_Connect1), the server stops reading"
        : "stall: publish, the server stops reading";
    const struct scenario sc = { name, s_publish_then_stop_reading, AT_READ, END_TIMEDOUT, NULL };
    int port = 0;
    int failures_before = test_failures;
    log_reset();
    cur_name = name;
    int free_fd = lowest_free_fd();
    pid_t child = start_server(&sc, &port);
    CHECK(child > 0, "%s: cannot start the server", name);
    if (child <= 0)
        return;
    cur_peer = child;
    alarm(WATCHDOG_S);
    char url[128];
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/app/stream timeout=%d", port, STALL_TIMEOUT_S);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    int ok = RTMP_SetupURL(r, url);
    RTMP_EnableWrite(r);
    if (ok && own_socket) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        r->m_sb.sb_socket = fd;
        ok = ok && RTMP_Connect1(r, NULL);
    } else if (ok) {
        ok = RTMP_Connect(r, NULL);
    }
    ok = ok && RTMP_ConnectStream(r, 0);
    CHECK(ok, "%s: publishing did not start", name);
    /* FLV: the header, then 64 KiB video tags until a write fails (at most 256 MiB) */
    static unsigned char tag[11 + 65536 + 4];
    memset(tag, 0, sizeof tag);
    tag[0] = 0x09;
    tag[1] = 0x01; /* 65536 bytes */
    tag[11] = 0x17;
    tag[11 + 65536 + 1] = 0x01;
    tag[11 + 65536 + 2] = 0x00;
    tag[11 + 65536 + 3] = 11; /* previous tag size 65547 */
    double t0 = now_s();
    int w = ok ? RTMP_Write(r, "FLV\x01\x05\0\0\0\x09\0\0\0\0", 13) : 0;
    long sent = 0;
    for (uint32_t ts = 0; ok && w > 0 && sent < (256L << 20); ts += 40) {
        tag[4] = (unsigned char)(ts >> 16);
        tag[5] = (unsigned char)(ts >> 8);
        tag[6] = (unsigned char)ts;
        w = RTMP_Write(r, (const char *)tag, (int)sizeof tag);
        if (w > 0)
            sent += w;
    }
    double took = now_s() - t0;
    CHECK(ok && w <= 0, "%s: RTMP_Write never failed (%ld bytes)", name, sent);
    CHECK(took < STALL_TIMEOUT_S + STALL_MARGIN_S,
          "%s: RTMP_Write failed only after %.2f s (timeout %d s)", name, took, STALL_TIMEOUT_S);
    CHECK(log_bad > 0, "%s: no ERROR or WARNING line logged", name);
    RTMP_Close(r);
    RTMP_Free(r);
    alarm(0);
    reap_peer(child, SRV_EXIT_S);
    cur_peer = -1;
    CHECK(lowest_free_fd() == free_fd, "%s: file descriptor %d leaked", name, free_fd);
    if (test_failures != failures_before || log_verbose)
        fprintf(stderr, "%s \"%s\" (%.2f s, %ld bytes written), log:\n%s",
                test_failures != failures_before ? "FAILED" : "ok", name, took, sent, log_text);
    cur_name = NULL;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, watchdog);
    log_verbose = getenv("BAD_SERVER_VERBOSE") != NULL;
    log_bad_level = RTMP_LOGWARNING;
    RTMP_LogSetCallback(log_cb);
    RTMP_LogSetLevel(log_verbose ? RTMP_LOGDEBUG : RTMP_LOGWARNING);

    double t0 = now_s();
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        rng_state = 0x9e3779b9u + (uint32_t)i * 7919u; /* fixed per scenario */
        run(&scenarios[i]);
    }
    close_from_another_thread();
    clean_ends();
    broken_ends();
    stall_play();
    stall_publish(0);
    stall_publish(1);
    if (log_verbose)
        fprintf(stderr, "total %.2f s\n", now_s() - t0);
    return test_summary("bad_server");
}
