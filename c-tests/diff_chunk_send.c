/* Differential test of the chunk writer: a long deterministic sequence of packets (random
 * chunk stream ids incl. > 63 and > 319, types, stream ids, sizes 0..several MB, timestamps
 * crossing 0xFFFFFF and wrapping, LARGE/MEDIUM (and some SMALL/MINIMUM) header hints, out chunk
 * sizes 128/4096/odd, changed mid-sequence) goes through RTMP_SendPacket into a socketpair; a
 * reader thread hashes the bytes. One line per case: byte count, FNV-1a hash of the wire bytes,
 * hash of the header types written back into the packets. Identical on both libraries.
 *
 * The sequence avoids librtmp's type-3-with-a-different-delta bug (behavior.md §7 end), where
 * our library deliberately sends a SMALL header instead (tested in test_chunk_roundtrip.c).
 * Also covered: RTMP_SendCtrl (all body shapes), RTMP_SendServerBW/ClientBW, RTMP_SendChunk,
 * queued invokes (m_methodCalls) and RTMP_DropRequest. */
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "chunk_state.h"
#include "common.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

struct sink {
    int fd;
    uint64_t hash;
    size_t bytes;
};

static void *drain(void *arg)
{
    struct sink *s = arg;
    static __thread unsigned char buf[1 << 16];
    ssize_t n;
    while ((n = read(s->fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            s->hash ^= buf[i];
            s->hash *= 0x100000001b3ULL;
        }
        s->bytes += (size_t)n;
    }
    return NULL;
}

struct conn {
    RTMP *r;
    int sv[2];
    pthread_t th;
    struct sink sink;
};

static void open_conn(struct conn *c)
{
    c->r = RTMP_Alloc();
    RTMP_Init(c->r);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, c->sv) != 0) {
        perror("socketpair");
        exit(2);
    }
    c->r->m_sb.sb_socket = c->sv[0];
    c->sink.fd = c->sv[1];
    c->sink.hash = 0xcbf29ce484222325ULL;
    c->sink.bytes = 0;
    pthread_create(&c->th, NULL, drain, &c->sink);
}

static void close_conn(struct conn *c)
{
    shutdown(c->sv[0], SHUT_WR);
    pthread_join(c->th, NULL);
    close(c->sv[0]);
    close(c->sv[1]);
    /* No RTMP_Close here: the handle's channel state is simply leaked (test process). */
    free_chunk_state(c->r);
    RTMP_Free(c->r);
}

/* Per-channel model of the sender, to steer clear of the type-3 delta bug. */
struct chstate {
    int used;
    uint32_t size, ts, delta;
    uint8_t type;
};
static struct chstate chs[65600];

#define MAXBODY (6 * 1024 * 1024)
static char bodybuf[MAXBODY + RTMP_MAX_HEADER_SIZE];

static int pick_channel(void)
{
    uint32_t k = rnd() % 100;
    if (k < 55)
        return 2 + (int)(rnd() % 8);
    if (k < 75)
        return 10 + (int)(rnd() % 54);
    if (k < 88)
        return 64 + (int)(rnd() % 256);
    if (k < 95)
        return 320 + (int)(rnd() % 40);
    return 320 + (int)(rnd() % (65599 - 320 + 1));
}

static uint32_t pick_size(void)
{
    uint32_t k = rnd() % 1000;
    if (k < 80)
        return 0;
    if (k < 500)
        return rnd() % 300;
    if (k < 800)
        return rnd() % 9000;
    if (k < 985)
        return rnd() % 250000;
    return 1000000 + rnd() % (MAXBODY - 1000000);
}

/* Returns the header type librtmp would choose and whether it would hit the delta bug. */
static int model(int ch, int req, uint32_t size, uint8_t type, uint32_t ts, int *bug, uint32_t *t)
{
    struct chstate *c = &chs[ch];
    int h = req;
    uint32_t last = 0;
    *bug = 0;
    if (c->used && req != 0) {
        if (c->size == size && c->type == type && h == 1)
            h = 2;
        if (c->ts == ts && h == 2)
            h = 3;
        last = c->ts;
        if (h == 3 && req != 3 && c->delta != 0)
            *bug = 1;
    }
    *t = ts - last;
    return h;
}

static void commit(int ch, int req, int h, uint32_t size, uint8_t type, uint32_t ts, uint32_t t)
{
    struct chstate *c = &chs[ch];
    int keep_delta = c->used && req != 0 && h == 3;
    if (!keep_delta)
        c->delta = t;
    c->used = 1;
    c->size = size;
    c->type = type;
    c->ts = ts;
}

static uint32_t next_ts(uint32_t ts)
{
    uint32_t k = rnd() % 100;
    if (k < 30)
        return ts;
    if (k < 80)
        return ts + rnd() % 100;
    if (k < 90)
        return ts + rnd() % 0x2000000;
    if (k < 95)
        return 0xFFFFF0 + rnd() % 32;
    if (k < 98)
        return ts - rnd() % 1000;
    return 0xFFFFFFF0u + rnd() % 32;
}

static uint32_t ch_ts[65600];

static void fill_body(uint32_t size, uint32_t seed)
{
    uint32_t x = seed | 1;
    char *b = bodybuf + RTMP_MAX_HEADER_SIZE;
    for (uint32_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (char)(x >> 24);
    }
}

static void run_case(int n, int npackets)
{
    struct conn c;
    open_conn(&c);
    memset(chs, 0, sizeof chs);
    memset(ch_ts, 0, sizeof ch_ts);
    static const int sizes[] = {128, 4096, 128, 4096, 1, 60, 1000, 65536, 129, 4097};
    c.r->m_outChunkSize = sizes[n % 10];
    uint64_t hh = 0xcbf29ce484222325ULL;
    int sent = 0, bugs_avoided = 0;
    size_t body_total = 0;
    for (int i = 0; i < npackets; i++) {
        if (rnd() % 50 == 0)
            c.r->m_outChunkSize = sizes[rnd() % 10];
        RTMPPacket p;
        memset(&p, 0, sizeof p);
        int ch = pick_channel();
        uint32_t k = rnd() % 100;
        int req = k < 35 ? RTMP_PACKET_SIZE_LARGE
                  : k < 90 ? RTMP_PACKET_SIZE_MEDIUM
                  : k < 97 ? RTMP_PACKET_SIZE_SMALL
                           : RTMP_PACKET_SIZE_MINIMUM;
        static const uint8_t types[] = {8, 9, 9, 8, 0x12, 0x16, 4, 5, 6, 1, 3, 0x0f, 0x11, 0x13};
        uint8_t type = types[rnd() % sizeof types];
        uint32_t size = pick_size();
        if (chs[ch].used && rnd() % 3 == 0) { /* repeat size/type: compression paths */
            size = chs[ch].size;
            type = chs[ch].type;
        }
        if (body_total + size > 24u * 1024 * 1024)
            size = rnd() % 500;
        if (c.r->m_outChunkSize < 128 && size > 20000) /* the reference: one send() per chunk */
            size %= 20000;
        uint32_t ts = next_ts(ch_ts[ch]);
        int bug;
        uint32_t t;
        int h = model(ch, req, size, type, ts, &bug, &t);
        if (bug) {
            bugs_avoided++;
            ts += 1;
            h = model(ch, req, size, type, ts, &bug, &t);
        }
        ch_ts[ch] = ts;
        p.m_nChannel = ch;
        p.m_headerType = (uint8_t)req;
        p.m_packetType = type;
        p.m_nTimeStamp = ts;
        p.m_nInfoField2 = (int32_t)(rnd() % 4 == 0 ? rnd() : rnd() % 3);
        p.m_hasAbsTimestamp = (uint8_t)(rnd() & 1);
        p.m_nBodySize = size;
        fill_body(size, rnd());
        p.m_body = size || rnd() % 2 ? bodybuf + RTMP_MAX_HEADER_SIZE : NULL;
        body_total += size;
        int ok = RTMP_SendPacket(c.r, &p, FALSE);
        if (!ok) {
            printf("case %d packet %d: send failed\n", n, i);
            break;
        }
        if (p.m_headerType != h)
            printf("case %d packet %d: header type %d, model %d\n", n, i, p.m_headerType, h);
        commit(ch, req, p.m_headerType, size, type, ts, t);
        hh ^= p.m_headerType;
        hh *= 0x100000001b3ULL;
        sent++;
    }
    close_conn(&c);
    printf("case %d: chunk %d packets %d body %zu wire %zu hash %016llx headers %016llx avoided %d\n",
           n, sizes[n % 10], sent, body_total, c.sink.bytes, (unsigned long long)c.sink.hash,
           (unsigned long long)hh, bugs_avoided);
}

/* Tiny AMF0 writers (the test does not depend on the AMF exports). */
static char *put_string(char *q, const char *s)
{
    size_t n = strlen(s);
    *q++ = 0x02;
    *q++ = (char)(n >> 8);
    *q++ = (char)n;
    memcpy(q, s, n);
    return q + n;
}

static char *put_number(char *q, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    *q++ = 0x00;
    for (int i = 7; i >= 0; i--)
        *q++ = (char)(u >> (8 * i));
    return q;
}

/* Control messages, SendChunk and the invoke queue. */
static void run_control_case(void)
{
    struct conn c;
    open_conn(&c);
    RTMP *r = c.r;
    static const short ctrl_types[] = {0, 1, 2, 3, 4, 6, 7, 0x1A, 0x1B, 31, 32, -1};
    for (int i = 0; i < 42; i++)
        r->Link.SWFVerificationResponse[i] = (char)(i * 7 + 1);
    int ok = 1;
    for (size_t i = 0; i < sizeof ctrl_types / sizeof ctrl_types[0]; i++)
        ok &= RTMP_SendCtrl(r, ctrl_types[i], 0x01020304u + (unsigned)i, 3000u + (unsigned)i);
    ok &= RTMP_SendServerBW(r);
    r->m_nClientBW = 123456;
    r->m_nClientBW2 = 1;
    ok &= RTMP_SendClientBW(r);
    ok &= RTMP_SendServerBW(r);

    RTMPChunk ck;
    memset(&ck, 0, sizeof ck);
    memcpy(ck.c_header, "\x04\x00\x00\x01\x00\x00\x05\x09\x01\x00\x00\x00", 12);
    ck.c_headerSize = 12;
    ck.c_chunk = bodybuf + RTMP_MAX_HEADER_SIZE;
    memcpy(ck.c_chunk, "hello", 5);
    ck.c_chunkSize = 5;
    ok &= RTMP_SendChunk(r, &ck);
    ck.c_chunkSize = 0;
    ck.c_headerSize = 1;
    ck.c_header[0] = (char)0xc4;
    ok &= RTMP_SendChunk(r, &ck);

    /* queued invokes: "connect", "createStream", "play", with txn 1..3, one not queued */
    static const char *names[] = {"connect", "createStream", "play", "_checkbw", "pause"};
    for (int i = 0; i < 20; i++) {
        char *b = bodybuf + RTMP_MAX_HEADER_SIZE, *e = b + 4096;
        const char *nm = names[i % 5];
        char *q = put_string(b, nm);
        q = put_number(q, (double)(i + 1) + (i == 7 ? 0.75 : 0.0));
        *q++ = 0x05; /* AMF null */
        (void)e;
        for (int j = 0; j < i * 13; j++)
            *q++ = (char)j;
        RTMPPacket p;
        memset(&p, 0, sizeof p);
        p.m_nChannel = 3;
        p.m_headerType = i % 4 == 0 ? RTMP_PACKET_SIZE_LARGE : RTMP_PACKET_SIZE_MEDIUM;
        p.m_packetType = RTMP_PACKET_TYPE_INVOKE;
        p.m_nBodySize = (uint32_t)(q - b);
        p.m_body = b;
        ok &= RTMP_SendPacket(r, &p, i % 5 != 3);
    }
    printf("control: ok %d calls %d\n", ok, r->m_numCalls);
    RTMP_DropRequest(r, 3, TRUE);
    RTMP_DropRequest(r, 0, TRUE);
    RTMP_DropRequest(r, r->m_numCalls - 1, TRUE);
    for (int i = 0; i < r->m_numCalls; i++)
        printf("  call %d: %.*s (%d) %d txn %d\n", i, r->m_methodCalls[i].name.av_len,
               r->m_methodCalls[i].name.av_val, (int)strlen(r->m_methodCalls[i].name.av_val),
               r->m_methodCalls[i].name.av_len, r->m_methodCalls[i].num);
    close_conn(&c);
    printf("control: wire %zu hash %016llx\n", c.sink.bytes, (unsigned long long)c.sink.hash);
}

int main(void)
{
    int total = 0;
    run_control_case();
    for (int n = 0; n < 40; n++) {
        int np = 50 + (int)(rnd() % 250);
        run_case(n, np);
        total += np;
    }
    printf("diff_chunk_send: %d packets in 40 cases\n", total);
    return 0;
}
