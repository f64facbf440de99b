/* Hostile and edge input for the chunk layer of our library: every case must end in FALSE plus
 * an ERROR log (never a crash, an overflow or an unbounded allocation), or be handled as
 * documented. Also checks the sender's contract: the caller's body (and the 18 bytes before it)
 * is never written, invalid packets are refused, acknowledgements are sent, EOF closes. */
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "chunk_state.h"
#include "common.h"

static char logbuf[1 << 16];
static size_t loglen;

static void log_cb(int level, const char *fmt, va_list ap)
{
    if (level > RTMP_LOGERROR)
        return;
    int n = vsnprintf(logbuf + loglen, sizeof logbuf - loglen - 2, fmt, ap);
    if (n > 0)
        loglen += (size_t)n < sizeof logbuf - loglen - 2 ? (size_t)n : 0;
    logbuf[loglen++] = '\n';
    logbuf[loglen] = 0;
}

static int logged(const char *needle)
{
    return strstr(logbuf, needle) != NULL;
}

static void log_reset(void)
{
    loglen = 0;
    logbuf[0] = 0;
}

static void release(RTMP *r)
{
    free_chunk_state(r);
    RTMP_Free(r);
}

/* Reads packets from `buf` until FALSE or `max` calls; returns the number of successful calls
 * (complete packets counted in *complete). in_chunk 0 keeps the default. */
static int read_all(const uint8_t *buf, size_t len, int in_chunk, int max, int *complete,
                    RTMP **keep)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct feeder f = {sv[0], buf, len};
    pthread_t th;
    pthread_create(&th, NULL, feed, &f);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    r->m_sb.sb_socket = sv[1];
    if (in_chunk)
        r->m_inChunkSize = in_chunk;
    RTMPPacket p;
    memset(&p, 0, sizeof p);
    int ok = 0;
    *complete = 0;
    for (int i = 0; i < max; i++) {
        if (!RTMP_ReadPacket(r, &p))
            break;
        ok++;
        if (RTMPPacket_IsReady(&p)) {
            (*complete)++;
            RTMPPacket_Free(&p);
        }
    }
    RTMPPacket_Free(&p);
    shutdown(sv[1], SHUT_RDWR);
    pthread_join(th, NULL);
    close(sv[0]);
    if (r->m_sb.sb_socket != -1)
        close(r->m_sb.sb_socket);
    if (keep)
        *keep = r;
    else
        release(r);
    return ok;
}

static uint8_t big[1 << 22];

static void midmessage(void)
{
    /* behavior.md §16 (a): fmt0 csid5 size 300 + 128 bytes, then fmt1 csid5 size 4000 */
    size_t n = 0;
    memcpy(big, "\x05\x00\x00\x00\x00\x01\x2c\x09\x01\x00\x00\x00", 12);
    n = 12;
    memset(big + n, 'A', 128);
    n += 128;
    memcpy(big + n, "\x45\x00\x00\x00\x00\x0f\xa0\x09", 8);
    n += 8;
    for (int i = 0; i < 4000; i += 128) {
        int k = 4000 - i < 128 ? 4000 - i : 128;
        if (i)
            big[n++] = 0xC5;
        memset(big + n, 'B', (size_t)k);
        n += (size_t)k;
    }
    int c;
    log_reset();
    int ok = read_all(big, n, 0, 50, &c, NULL);
    CHECK(ok == 1 && c == 0, "type 1 mid-message: %d calls ok, %d complete", ok, c);
    CHECK(logged("in the middle of a message"), "type 1 mid-message: log: %s", logbuf);
    /* same with a type-0 header */
    big[140] = 0x05;
    memmove(big + 152, big + 148, n - 148);
    memcpy(big + 141, "\x00\x00\x00\x00\x0f\xa0\x09\x01\x00\x00\x00", 11);
    n += 4;
    log_reset();
    ok = read_all(big, n, 0, 50, &c, NULL);
    CHECK(ok == 1 && c == 0, "type 0 mid-message: %d calls ok, %d complete", ok, c);
    CHECK(logged("in the middle of a message"), "type 0 mid-message: log: %s", logbuf);
}

static void unknown_channel(void)
{
    int c;
    static const uint8_t t2[] = {0x86, 0, 0, 1, 'x'};
    static const uint8_t t3[] = {0xc6, 'x'};
    static const uint8_t t3x[] = {0xc1, 0xff, 0xff, 'x'};
    log_reset();
    CHECK(read_all(t2, sizeof t2, 0, 5, &c, NULL) == 0, "type 2 on a new chunk stream accepted");
    CHECK(logged("without a previous message"), "log: %s", logbuf);
    log_reset();
    CHECK(read_all(t3, sizeof t3, 0, 5, &c, NULL) == 0, "type 3 on a new chunk stream accepted");
    CHECK(read_all(t3x, sizeof t3x, 0, 5, &c, NULL) == 0, "type 3 on stream 65599 accepted");
    /* type 1 on a new chunk stream is what librtmp itself sends: accepted */
    static const uint8_t t1[] = {0x42, 0, 0, 0, 0, 0, 4, 3, 0, 0, 1, 0};
    CHECK(read_all(t1, sizeof t1, 0, 5, &c, NULL) == 1 && c == 1, "type 1 first message");
}

static void chunk_sizes(void)
{
    static const uint8_t m[] = {0x03, 0, 0, 0, 0, 0, 4, 9, 0, 0, 0, 0, 1, 2, 3, 4};
    int c;
    log_reset();
    CHECK(read_all(m, sizeof m, -5, 5, &c, NULL) == 0, "negative in chunk size accepted");
    CHECK(logged("invalid chunk size"), "log: %s", logbuf);
    CHECK(read_all(m, sizeof m, (int)0x80000000u, 5, &c, NULL) == 0, "bit-31 chunk size");
    /* chunk size 0 from a consumer's write: refused before reading any payload */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    if (write(sv[0], m, sizeof m) != (ssize_t)sizeof m)
        perror("write");
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    r->m_sb.sb_socket = sv[1];
    r->m_inChunkSize = 0;
    RTMPPacket p;
    memset(&p, 0, sizeof p);
    CHECK(!RTMP_ReadPacket(r, &p), "chunk size 0 accepted");
    CHECK(p.m_body == NULL, "body left after failure");
    close(sv[0]);
    close(sv[1]);
    release(r);
}

static void budget(void)
{
    /* 200 chunk streams each announcing a 16 MiB - 1 message and sending 128 bytes of it: the
     * partial-message budget (64 MiB) must stop this after a handful. */
    size_t n = 0;
    for (int ch = 320; ch < 520; ch++) {
        big[n++] = 0x01;
        big[n++] = (uint8_t)((ch - 64) & 0xff);
        big[n++] = (uint8_t)((ch - 64) >> 8);
        memcpy(big + n, "\x00\x00\x00\xff\xff\xff\x09\x01\x00\x00\x00", 11);
        n += 11;
        memset(big + n, 'z', 128);
        n += 128;
    }
    struct mallinfo2 before = mallinfo2();
    int c;
    log_reset();
    RTMP *r;
    int ok = read_all(big, n, 0, 1000, &c, &r);
    struct mallinfo2 after = mallinfo2();
    CHECK(ok >= 1 && ok <= 4, "budget: %d partial 16 MiB messages accepted", ok);
    CHECK(logged("incomplete messages"), "budget: log: %s", logbuf);
    size_t grown = (after.hblkhd + after.uordblks) - (before.hblkhd + before.uordblks);
    CHECK(grown < (80u << 20), "budget: %zu bytes held", grown);
    release(r);
}

static void truncated(void)
{
    /* a valid two-chunk message with an extended timestamp and a 3-byte id, cut everywhere */
    static uint8_t m[200];
    size_t n = 0;
    memcpy(m, "\x01\x00\x01\xff\xff\xff\x00\x00\x96\x09\x01\x00\x00\x00\x12\x34\x56\x78", 18);
    n = 18;
    memset(m + n, 'q', 128);
    n += 128;
    memcpy(m + n, "\xc1\x00\x01\x12\x34\x56\x78", 7);
    n += 7;
    memset(m + n, 'r', 22);
    n += 22;
    int c, bad = 0;
    for (size_t cut = 0; cut < n; cut++) {
        log_reset();
        read_all(m, cut, 0, 10, &c, NULL);
        if (c != 0 || !logged("failed to read"))
            bad++;
    }
    CHECK(bad == 0, "truncated: %d cuts misbehaved", bad);
    CHECK(read_all(m, n, 0, 10, &c, NULL) == 2 && c == 1, "untruncated message not read");
}

static void ext_without_repeat(void)
{
    /* continuation chunks without the repeated extended timestamp (some senders) */
    static uint8_t m[400];
    size_t n = 0;
    memcpy(m, "\x04\xff\xff\xff\x00\x01\x00\x09\x01\x00\x00\x00\x01\x00\x00\x05", 16);
    n = 16;
    for (int i = 0; i < 128; i++)
        m[n++] = (uint8_t)(i + 1);
    m[n++] = 0xc4;
    for (int i = 128; i < 256; i++)
        m[n++] = (uint8_t)(i + 1);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    if (write(sv[0], m, n) != (ssize_t)n)
        perror("write");
    close(sv[0]);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    r->m_sb.sb_socket = sv[1];
    RTMPPacket p;
    memset(&p, 0, sizeof p);
    CHECK(RTMP_ReadPacket(r, &p) && RTMP_ReadPacket(r, &p), "ext without repeat: read failed");
    CHECK(RTMPPacket_IsReady(&p) && p.m_nTimeStamp == 0x01000005 && p.m_nBodySize == 256,
          "ext without repeat: ts %x size %u", p.m_nTimeStamp, p.m_nBodySize);
    int same = 1;
    for (int i = 0; p.m_body && i < 256; i++)
        same &= (uint8_t)p.m_body[i] == (uint8_t)(i + 1);
    CHECK(same, "ext without repeat: body differs");
    RTMPPacket_Free(&p);
    release(r);
}

static void *drain(void *arg)
{
    int fd = *(int *)arg;
    static uint8_t b[1 << 16];
    while (read(fd, b, sizeof b) > 0)
        ;
    return NULL;
}

static void send_contract(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pthread_t th;
    pthread_create(&th, NULL, drain, &sv[1]);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    r->m_sb.sb_socket = sv[0];
    static char mem[RTMP_MAX_HEADER_SIZE + 100000], copy[sizeof mem];
    for (size_t i = 0; i < sizeof mem; i++)
        mem[i] = (char)(i * 13 + 5);
    memcpy(copy, mem, sizeof mem);
    RTMPPacket p;
    memset(&p, 0, sizeof p);
    p.m_nChannel = 400;
    p.m_headerType = RTMP_PACKET_SIZE_LARGE;
    p.m_packetType = 9;
    p.m_nTimeStamp = 0x2000000;
    p.m_nBodySize = 100000;
    p.m_body = mem + RTMP_MAX_HEADER_SIZE;
    int ok = RTMP_SendPacket(r, &p, FALSE);
    p.m_headerType = RTMP_PACKET_SIZE_MEDIUM;
    r->m_outChunkSize = 4096;
    ok &= RTMP_SendPacket(r, &p, FALSE);
    CHECK(ok, "send failed");
    CHECK(memcmp(mem, copy, sizeof mem) == 0, "caller's memory was written");

    log_reset();
    p.m_nChannel = 1;
    CHECK(!RTMP_SendPacket(r, &p, FALSE), "channel 1 accepted");
    p.m_nChannel = 65600;
    CHECK(!RTMP_SendPacket(r, &p, FALSE), "channel 65600 accepted");
    p.m_nChannel = -3;
    CHECK(!RTMP_SendPacket(r, &p, FALSE), "channel -3 accepted");
    p.m_nChannel = 5;
    p.m_headerType = 4;
    CHECK(!RTMP_SendPacket(r, &p, FALSE), "header type 4 accepted");
    CHECK(logged("sanity failed!!"), "log: %s", logbuf);
    p.m_headerType = 0;
    p.m_nBodySize = 0x1000000;
    CHECK(!RTMP_SendPacket(r, &p, FALSE), "17 MB body accepted");
    p.m_nBodySize = 10;
    p.m_body = NULL;
    CHECK(!RTMP_SendPacket(r, &p, FALSE), "NULL body accepted");
    p.m_body = mem + RTMP_MAX_HEADER_SIZE;
    r->m_outChunkSize = 0;
    CHECK(!RTMP_SendPacket(r, &p, FALSE), "out chunk size 0 accepted");
    r->m_outChunkSize = 128;
    /* malformed invokes with queue=TRUE: no over-read, not queued */
    p.m_packetType = 0x14;
    p.m_nBodySize = 3;
    memcpy(p.m_body, "\x02\x00\x30", 3);
    CHECK(RTMP_SendPacket(r, &p, TRUE) && r->m_numCalls == 0, "short invoke queued");
    memcpy(p.m_body, "\x02\x00\x01x\x00\x40\x00\x00\x00\x00\x00\x00\x00", 13);
    p.m_nBodySize = 13;
    CHECK(RTMP_SendPacket(r, &p, TRUE) && r->m_numCalls == 1 && r->m_methodCalls[0].num == 2,
          "invoke not queued");
    RTMP_DropRequest(r, 5, TRUE);
    RTMP_DropRequest(r, -1, TRUE);
    CHECK(r->m_numCalls == 1, "out-of-range drop changed the queue");
    RTMP_DropRequest(r, 0, TRUE);
    CHECK(r->m_numCalls == 0, "drop failed");

    RTMPChunk ck;
    memset(&ck, 0, sizeof ck);
    ck.c_headerSize = 19;
    CHECK(!RTMP_SendChunk(r, &ck), "19-byte chunk header accepted");
    ck.c_headerSize = 1;
    ck.c_chunkSize = 5;
    CHECK(!RTMP_SendChunk(r, &ck), "chunk without data accepted");

    shutdown(sv[0], SHUT_WR);
    pthread_join(th, NULL);
    /* send on a closed connection: FALSE, the socket is closed and marked -1 */
    signal(SIGPIPE, SIG_IGN);
    close(sv[1]);
    p.m_packetType = 9;
    CHECK(!RTMP_SendPacket(r, &p, FALSE), "send on a closed peer succeeded");
    CHECK(r->m_sb.sb_socket == -1, "socket not closed after a send error");
    release(r);
}

static void acks(void)
{
    /* m_bSendCounter with a 10 000-byte window: an Acknowledgement every > 1000 bytes read */
    size_t n = 0;
    for (int i = 0; i < 40; i++) {
        memcpy(big + n, "\x04\x00\x00\x00\x00\x00\x64\x09\x01\x00\x00\x00", 12);
        n += 12;
        memset(big + n, 'a', 100);
        n += 100;
    }
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    if (write(sv[0], big, n) != (ssize_t)n)
        perror("write");
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    r->m_sb.sb_socket = sv[1];
    r->m_bSendCounter = 1;
    r->m_nClientBW = 10000;
    RTMPPacket p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < 40; i++) {
        RTMP_ReadPacket(r, &p);
        RTMPPacket_Free(&p);
    }
    CHECK(r->m_nBytesIn == (int)n, "bytes in %d, expected %zu", r->m_nBytesIn, n);
    uint8_t ack[64];
    ssize_t k = read(sv[0], ack, sizeof ack);
    /* first ack: fmt1 ch2 ts 0 size 4 type 3, body = bytes read so far (> 1000) */
    CHECK(k >= 12 && memcmp(ack, "\x42\x00\x00\x00\x00\x00\x04\x03", 8) == 0,
          "no acknowledgement (%zd bytes)", k);
    uint32_t v = (uint32_t)ack[8] << 24 | ack[9] << 16 | ack[10] << 8 | ack[11];
    CHECK(v > 1000 && v <= 1200, "ack value %u", v);
    CHECK(r->m_nBytesInSent > 3000, "m_nBytesInSent %d", r->m_nBytesInSent);
    close(sv[0]);
    close(sv[1]);
    release(r);
}

int main(void)
{
    RTMP_LogSetCallback(log_cb);
    midmessage();
    unknown_channel();
    chunk_sizes();
    budget();
    truncated();
    ext_without_repeat();
    send_contract();
    acks();
    return test_summary("test_chunk_hostile");
}
