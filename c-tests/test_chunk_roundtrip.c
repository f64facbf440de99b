/* Round trips of the chunk stream between our library and the reference librtmp 2.4 (loaded
 * with dlopen(RTLD_LOCAL | RTLD_DEEPBIND)), over socketpairs:
 *   1. our RTMP_SendPacket  -> reference RTMP_ReadPacket
 *   2. reference RTMP_SendPacket -> our RTMP_ReadPacket
 *   3. our writer -> our reader
 * with every header type (compression), extended timestamps (also on continuation chunks),
 * chunk size changes mid-stream (Set Chunk Size messages), sizes 0..1 MB, ids > 319.
 *   4. a spec-form chunk writer of this test that interleaves messages of several chunk
 *      streams, with and without the repeated extended timestamp on continuation chunks, and
 *      Abort messages -> our reader (and the reference reader for the repeated form without
 *      aborts).
 *   5. the type-3 timestamp deviation: librtmp -> librtmp decodes a wrong timestamp, ours ->
 *      librtmp decodes the right one, and our header choice differs only there.
 * Skips parts 1, 2, 4b, 5 (with a note) if the reference library is missing. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "chunk_state.h"
#include "common.h"

#define REF_PATH "/usr/lib/x86_64-linux-gnu/librtmp.so.1"

struct lib {
    const char *name;
    RTMP *(*Alloc)(void);
    void (*Init)(RTMP *);
    void (*Free)(RTMP *);
    int (*SendPacket)(RTMP *, RTMPPacket *, int);
    int (*ReadPacket)(RTMP *, RTMPPacket *);
    void (*PacketFree)(RTMPPacket *);
};

static struct lib ours = {"ours", RTMP_Alloc, RTMP_Init, RTMP_Free, RTMP_SendPacket,
                          RTMP_ReadPacket, RTMPPacket_Free};
static struct lib ref;

static void release(struct lib *l, RTMP *r)
{
    free_chunk_state(r);
    l->Free(r);
}

static int load_ref(void)
{
#if defined(__SANITIZE_ADDRESS__)
    /* the sanitizer runtime cannot dlopen with RTLD_DEEPBIND: the ASan build checks our side */
    return 0;
#endif
    void *h = dlopen(REF_PATH, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!h)
        return 0;
    ref.name = "ref";
    *(void **)&ref.Alloc = dlsym(h, "RTMP_Alloc");
    *(void **)&ref.Init = dlsym(h, "RTMP_Init");
    *(void **)&ref.Free = dlsym(h, "RTMP_Free");
    *(void **)&ref.SendPacket = dlsym(h, "RTMP_SendPacket");
    *(void **)&ref.ReadPacket = dlsym(h, "RTMP_ReadPacket");
    *(void **)&ref.PacketFree = dlsym(h, "RTMPPacket_Free");
    int *lvl = dlsym(h, "RTMP_debuglevel");
    if (lvl)
        *lvl = RTMP_LOGCRIT;
    return ref.Alloc && ref.Init && ref.SendPacket && ref.ReadPacket && ref.PacketFree;
}

static uint64_t rng;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static uint8_t body_byte(int msg, uint32_t i)
{
    return (uint8_t)((uint32_t)msg * 131u + i * 7u + (i >> 8));
}

/* ---------------------------------------------------------------------------------------- */
/* Message sequences sent with RTMP_SendPacket */

struct msg {
    int ch, req;
    uint8_t type;
    uint32_t size, ts;
    int32_t sid;
    int chunk; /* > 0: a Set Chunk Size message announcing this size */
};

#define NMSG 400
static struct msg seq[NMSG];
static int nseq;

struct chmodel {
    int used;
    uint32_t size, ts, delta;
    uint8_t type;
};

/* librtmp's header choice; *bug when it sends type 3 for a new message whose delta differs. */
static int ref_choice(struct chmodel *c, int req, uint32_t size, uint8_t type, uint32_t ts,
                      int *bug)
{
    int h = req;
    *bug = 0;
    if (c->used && req != 0) {
        if (c->size == size && c->type == type && h == 1)
            h = 2;
        if (c->ts == ts && h == 2)
            h = 3;
        if (h == 3 && req != 3 && c->delta != 0)
            *bug = 1;
    }
    return h;
}

static void model_commit(struct chmodel *c, int req, int h, uint32_t size, uint8_t type,
                         uint32_t ts)
{
    uint32_t last = c->used && req != 0 ? c->ts : 0;
    if (!(c->used && req != 0 && h == 3))
        c->delta = ts - last;
    c->used = 1;
    c->size = size;
    c->type = type;
    c->ts = ts;
}

static struct chmodel models[65600];

static void gen_sequence(uint64_t seed, int allow_bug)
{
    static const int chans[] = {3, 4, 5, 6, 8, 20, 63, 64, 100, 319, 320, 1000, 65599};
    static const uint8_t types[] = {8, 9, 0x12, 0x16, 4, 0x0f};
    static const int csizes[] = {128, 4096, 1, 300, 65536, 127};
    memset(models, 0, sizeof models);
    rng = seed;
    nseq = 0;
    uint32_t chts[13] = {0};
    int32_t sid[13] = {0};
    int size_pool[4] = {0, 100, 5000, 200000};
    int cur_chunk = 128;
    while (nseq < NMSG) {
        struct msg *m = &seq[nseq];
        memset(m, 0, sizeof *m);
        if (rnd() % 40 == 0) {
            m->ch = 2;
            m->req = RTMP_PACKET_SIZE_LARGE;
            m->type = 1;
            m->size = 4;
            m->chunk = csizes[rnd() % 6];
            cur_chunk = m->chunk;
            nseq++;
            continue;
        }
        int ci = (int)(rnd() % 13);
        m->ch = chans[ci];
        uint32_t k = rnd() % 10;
        m->req = k < 3 ? 0 : k < 8 ? 1 : k < 9 ? 2 : 1;
        m->type = types[rnd() % 6];
        m->size = rnd() % 10 ? (uint32_t)size_pool[rnd() % 4] : rnd() % 1100000;
        if (cur_chunk < 100 && m->size > 3000)
            m->size %= 3000; /* the reference sends one chunk per send() */
        if (m->req == 0 && rnd() % 2)
            sid[ci] = (int32_t)rnd();
        m->sid = sid[ci];
        uint32_t t = rnd() % 10;
        uint32_t ts = chts[ci];
        if (t < 3)
            ;
        else if (t < 6)
            ts += rnd() % 50;
        else if (t < 8)
            ts += 0x1000000 + rnd() % 0x1000000; /* extended delta */
        else if (t < 9)
            ts = 0xFFFFF0 + rnd() % 32;
        else
            ts -= rnd() % 100; /* backwards: huge unsigned delta */
        if (models[m->ch].used && rnd() % 4 == 0) { /* repeat: SMALL/MINIMUM compression */
            m->size = models[m->ch].size;
            m->type = models[m->ch].type;
            ts = models[m->ch].ts;
        }
        if (m->req != 0 && !models[m->ch].used)
            m->req = rnd() % 2; /* first on a chunk stream: LARGE or MEDIUM (never 2/3) */
        int bug, h = ref_choice(&models[m->ch], m->req, m->size, m->type, ts, &bug);
        if (bug && !allow_bug) {
            ts += 1;
            h = ref_choice(&models[m->ch], m->req, m->size, m->type, ts, &bug);
        }
        if (m->req == 2 && (!models[m->ch].used || models[m->ch].size != m->size ||
                            models[m->ch].type != m->type)) {
            m->req = 1; /* a SMALL hint must match the previous size/type to be decodable */
            h = ref_choice(&models[m->ch], m->req, m->size, m->type, ts, &bug);
        }
        model_commit(&models[m->ch], m->req, h, m->size, m->type, ts);
        m->ts = ts;
        chts[ci] = ts;
        nseq++;
    }
}

struct writer {
    struct lib *lib;
    int fd;
    int ok;
    int ntypes[4];
};

static char *wbody;

static void *write_seq(void *arg)
{
    struct writer *w = arg;
    RTMP *r = w->lib->Alloc();
    w->lib->Init(r);
    r->m_sb.sb_socket = w->fd;
    w->ok = 1;
    for (int i = 0; i < nseq && w->ok; i++) {
        struct msg *m = &seq[i];
        RTMPPacket p;
        memset(&p, 0, sizeof p);
        char *b = wbody + RTMP_MAX_HEADER_SIZE;
        if (m->chunk) {
            b[0] = (char)(m->chunk >> 24);
            b[1] = (char)(m->chunk >> 16);
            b[2] = (char)(m->chunk >> 8);
            b[3] = (char)m->chunk;
        } else {
            for (uint32_t j = 0; j < m->size; j++)
                b[j] = (char)body_byte(i, j);
        }
        p.m_nChannel = m->ch;
        p.m_headerType = (uint8_t)m->req;
        p.m_packetType = m->type;
        p.m_nTimeStamp = m->ts;
        p.m_nInfoField2 = m->sid;
        p.m_nBodySize = m->size;
        p.m_body = b;
        w->ok = w->lib->SendPacket(r, &p, 0);
        w->ntypes[p.m_headerType & 3]++;
        if (m->chunk)
            r->m_outChunkSize = m->chunk;
    }
    shutdown(w->fd, SHUT_WR);
    release(w->lib, r);
    return NULL;
}

/* Reads nseq messages with `rl` and checks them against seq[]. */
static int read_seq(struct lib *rl, int fd, int check_sid, const char *what)
{
    RTMP *r = rl->Alloc();
    rl->Init(r);
    r->m_sb.sb_socket = fd;
    RTMPPacket p;
    memset(&p, 0, sizeof p);
    int got = 0, bad = 0, calls = 0;
    while (got < nseq) {
        if (!rl->ReadPacket(r, &p)) {
            fprintf(stderr, "%s: ReadPacket failed after %d messages\n", what, got);
            bad++;
            break;
        }
        calls++;
        if (p.m_nBytesRead != p.m_nBodySize)
            continue;
        struct msg *m = &seq[got];
        int ok = p.m_nChannel == m->ch && p.m_packetType == m->type &&
                 p.m_nBodySize == m->size && p.m_nTimeStamp == m->ts &&
                 (!check_sid || m->req != 0 || p.m_nInfoField2 == m->sid);
        if (ok && m->chunk) {
            uint8_t *b = (uint8_t *)p.m_body;
            r->m_inChunkSize = (int)((uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        } else if (ok) {
            for (uint32_t j = 0; j < m->size; j++)
                if ((uint8_t)p.m_body[j] != body_byte(got, j)) {
                    ok = 0;
                    break;
                }
        }
        if (!ok && bad++ < 5)
            fprintf(stderr, "%s: message %d: ch %d/%d type %d/%d size %u/%u ts %u/%u sid %d/%d\n",
                    what, got, p.m_nChannel, m->ch, p.m_packetType, m->type, p.m_nBodySize,
                    m->size, p.m_nTimeStamp, m->ts, p.m_nInfoField2, m->sid);
        rl->PacketFree(&p);
        got++;
    }
    rl->PacketFree(&p);
    release(rl, r);
    return bad == 0 && got == nseq ? calls : -1;
}

static void roundtrip(struct lib *wl, struct lib *rl, uint64_t seed, int allow_bug)
{
    char what[64];
    snprintf(what, sizeof what, "%s->%s seed %llu", wl->name, rl->name, (unsigned long long)seed);
    gen_sequence(seed, allow_bug);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct writer w = {wl, sv[0], 0, {0, 0, 0, 0}};
    pthread_t th;
    pthread_create(&th, NULL, write_seq, &w);
    int calls = read_seq(rl, sv[1], 1, what);
    shutdown(sv[1], SHUT_RDWR); /* a reader that failed early must not leave the writer blocked */
    pthread_join(th, NULL);
    close(sv[0]);
    close(sv[1]);
    CHECK(w.ok, "%s: writer failed", what);
    CHECK(calls > 0, "%s: reader failed", what);
    CHECK(w.ntypes[0] && w.ntypes[1] && w.ntypes[2] && w.ntypes[3],
          "%s: header types used %d/%d/%d/%d", what, w.ntypes[0], w.ntypes[1], w.ntypes[2],
          w.ntypes[3]);
}

/* ---------------------------------------------------------------------------------------- */
/* A spec-form chunk writer with interleaving, optional repeated extended timestamps, aborts. */

struct out {
    uint8_t *buf;
    size_t len;
};

static void put(struct out *o, const void *p, size_t n)
{
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void put_basic(struct out *o, int fmt, int ch)
{
    uint8_t b[3];
    if (ch > 319) {
        b[0] = (uint8_t)(fmt << 6 | 1);
        b[1] = (uint8_t)((ch - 64) & 0xff);
        b[2] = (uint8_t)((ch - 64) >> 8);
        put(o, b, 3);
    } else if (ch >= 64) {
        b[0] = (uint8_t)(fmt << 6);
        b[1] = (uint8_t)(ch - 64);
        put(o, b, 2);
    } else {
        b[0] = (uint8_t)(fmt << 6 | ch);
        put(o, b, 1);
    }
}

static void put24(struct out *o, uint32_t v)
{
    uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(o, b, 3);
}

static void put32(struct out *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(o, b, 4);
}

struct expect {
    int ch;
    uint8_t type;
    uint32_t size, ts;
    int id;
};

struct stream {
    int used;     /* a message was started on it */
    int active;   /* a message in progress */
    uint32_t size, sent, ts, delta, field;
    uint8_t type;
    int id;
};

#define NEXP 3000
static struct expect expect[NEXP];
static int nexp;

/* Builds an interleaved stream; chunk size 64 first, then a Set Chunk Size to 200. */
static size_t gen_interleaved(struct out *o, uint64_t seed, int repeat_ext, int aborts)
{
    static const int chans[] = {3, 4, 5, 70, 400};
    struct stream st[5];
    memset(st, 0, sizeof st);
    rng = seed;
    nexp = 0;
    int chunk = 64, msgid = 0, started = 0;
    o->len = 0;
    while (nexp < NEXP - 10 && started < 1500) {
        if (started == 700 && chunk == 64) {
            /* Set Chunk Size 200 on channel 2, sent while other messages are in progress */
            put_basic(o, 0, 2);
            put24(o, 0);
            put24(o, 4);
            uint8_t t1 = 1;
            put(o, &t1, 1);
            put32(o, 0); /* stream id 0 (little endian) */
            put32(o, 200);
            expect[nexp++] = (struct expect){2, 1, 4, 0, -1};
            chunk = 200;
            continue;
        }
        int i = (int)(rnd() % 5);
        struct stream *s = &st[i];
        int ch = chans[i];
        if (!s->active) {
            uint32_t size = rnd() % 4 == 0 ? s->size : rnd() % 700;
            uint8_t type = rnd() % 4 == 0 ? s->type : (uint8_t)(8 + rnd() % 2);
            uint32_t ts = s->ts + (rnd() % 3 == 0 ? 0x1000000 + rnd() % 1000 : rnd() % 40);
            if (rnd() % 8 == 0)
                ts = s->ts + s->delta; /* same delta: type 3 possible */
            uint32_t delta = ts - s->ts;
            int fmt;
            if (!s->used || rnd() % 10 == 0)
                fmt = 0;
            else if (size != s->size || type != s->type)
                fmt = 1;
            else if (delta != s->delta)
                fmt = 2;
            else
                fmt = 3;
            uint32_t field = fmt == 0 ? ts : delta;
            put_basic(o, fmt, ch);
            if (fmt <= 2)
                put24(o, field >= 0xFFFFFF ? 0xFFFFFF : field);
            if (fmt <= 1) {
                put24(o, size);
                put(o, &type, 1);
            }
            if (fmt == 0) {
                uint8_t sidb[4] = {1, 0, 0, 0};
                put(o, sidb, 4);
            }
            uint32_t f = fmt == 3 ? s->field : field;
            if (f >= 0xFFFFFF)
                put32(o, f);
            s->field = f;
            s->delta = fmt == 3 ? s->delta : delta;
            if (fmt == 0)
                s->delta = ts; /* per spec a type 3 after type 0 repeats the type-0 value */
            s->used = 1;
            s->size = size;
            s->type = type;
            s->ts = ts;
            s->sent = 0;
            s->id = msgid++;
            started++;
            s->active = 1;
        } else {
            if (aborts && rnd() % 40 == 0) {
                /* Abort Message for this chunk stream, then forget the partial message */
                put_basic(o, 0, 2);
                put24(o, 0);
                put24(o, 4);
                uint8_t t2 = 2;
                put(o, &t2, 1);
                put32(o, 0);
                put32(o, (uint32_t)ch);
                expect[nexp++] = (struct expect){2, 2, 4, 0, -1};
                s->active = 0;
                s->used = 0; /* next message starts with a type-0 header */
                continue;
            }
            put_basic(o, 3, ch);
            if (repeat_ext && s->field >= 0xFFFFFF)
                put32(o, s->field);
        }
        uint32_t n = s->size - s->sent;
        if (n > (uint32_t)chunk)
            n = (uint32_t)chunk;
        for (uint32_t j = 0; j < n; j++) {
            uint8_t b = body_byte(s->id, s->sent + j);
            put(o, &b, 1);
        }
        s->sent += n;
        if (s->sent == s->size) {
            s->active = 0;
            expect[nexp++] = (struct expect){ch, s->type, s->size, s->ts, s->id};
        }
    }
    /* finish the messages in progress */
    for (int i = 0; i < 5; i++) {
        struct stream *s = &st[i];
        while (s->active) {
            put_basic(o, 3, chans[i]);
            if (repeat_ext && s->field >= 0xFFFFFF)
                put32(o, s->field);
            uint32_t n = s->size - s->sent;
            if (n > (uint32_t)chunk)
                n = (uint32_t)chunk;
            for (uint32_t j = 0; j < n; j++) {
                uint8_t b = body_byte(s->id, s->sent + j);
                put(o, &b, 1);
            }
            s->sent += n;
            if (s->sent == s->size) {
                s->active = 0;
                expect[nexp++] = (struct expect){chans[i], s->type, s->size, s->ts, s->id};
            }
        }
    }
    return o->len;
}

static void interleaved(struct lib *rl, uint64_t seed, int repeat_ext, int aborts)
{
    static uint8_t buf[8 << 20];
    struct out o = {buf, 0};
    char what[96];
    snprintf(what, sizeof what, "interleaved->%s seed %llu repeat_ext %d aborts %d", rl->name,
             (unsigned long long)seed, repeat_ext, aborts);
    gen_interleaved(&o, seed, repeat_ext, aborts);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct feeder f = {sv[0], buf, o.len};
    pthread_t th;
    pthread_create(&th, NULL, feed, &f);
    RTMP *r = rl->Alloc();
    rl->Init(r);
    r->m_sb.sb_socket = sv[1];
    r->m_inChunkSize = 64;
    RTMPPacket p;
    memset(&p, 0, sizeof p);
    int got = 0, bad = 0, ext = 0;
    while (got < nexp) {
        if (!rl->ReadPacket(r, &p)) {
            fprintf(stderr, "%s: ReadPacket failed after %d of %d\n", what, got, nexp);
            bad++;
            break;
        }
        if (p.m_nBytesRead != p.m_nBodySize)
            continue;
        struct expect *e = &expect[got];
        int ok = p.m_nChannel == e->ch && p.m_packetType == e->type && p.m_nBodySize == e->size;
        if (ok && e->id < 0 && e->type == 1)
            r->m_inChunkSize = 200; /* what RTMP_ClientPacket would do */
        if (ok && e->id >= 0) {
            ok = p.m_nTimeStamp == e->ts;
            ext += e->ts >= 0xFFFFFF;
            for (uint32_t j = 0; ok && j < e->size; j++)
                ok = (uint8_t)p.m_body[j] == body_byte(e->id, j);
        }
        if (!ok && bad++ < 5)
            fprintf(stderr, "%s: message %d: ch %d/%d type %d/%d size %u/%u ts %u/%u\n", what, got,
                    p.m_nChannel, e->ch, p.m_packetType, e->type, p.m_nBodySize, e->size,
                    p.m_nTimeStamp, e->ts);
        rl->PacketFree(&p);
        got++;
    }
    rl->PacketFree(&p);
    release(rl, r);
    shutdown(sv[1], SHUT_RDWR);
    pthread_join(th, NULL);
    close(sv[0]);
    close(sv[1]);
    CHECK(bad == 0 && got == nexp, "%s: %d bad, %d of %d", what, bad, got, nexp);
    CHECK(ext > 0, "%s: no extended timestamps exercised", what);
}

/* ---------------------------------------------------------------------------------------- */
/* The type-3 delta deviation */

static void delta_deviation(void)
{
    /* Two equal-size, equal-type messages on channel 4 at ts 100 then 140 (MEDIUM, delta 40),
     * then a third at ts 140 again: librtmp sends a type-3 header (reader adds 40 again). */
    nseq = 3;
    memset(seq, 0, sizeof seq);
    seq[0] = (struct msg){4, 0, 9, 10, 100, 1, 0};
    seq[1] = (struct msg){4, 1, 9, 10, 140, 1, 0};
    seq[2] = (struct msg){4, 1, 9, 10, 140, 1, 0};
    for (int side = 0; side < 2; side++) {
        struct lib *wl = side ? &ref : &ours;
        int sv[2];
        socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        struct writer w = {wl, sv[0], 0, {0, 0, 0, 0}};
        pthread_t th;
        pthread_create(&th, NULL, write_seq, &w);
        RTMP *r = ref.Alloc();
        ref.Init(r);
        r->m_sb.sb_socket = sv[1];
        RTMPPacket p;
        memset(&p, 0, sizeof p);
        uint32_t ts[3] = {0, 0, 0};
        for (int got = 0; got < 3;) {
            if (!ref.ReadPacket(r, &p))
                break;
            if (p.m_nBytesRead == p.m_nBodySize) {
                ts[got++] = p.m_nTimeStamp;
                ref.PacketFree(&p);
            }
        }
        ref.PacketFree(&p);
        release(&ref, r);
        shutdown(sv[1], SHUT_RDWR);
        pthread_join(th, NULL);
        close(sv[0]);
        close(sv[1]);
        if (side == 0) {
            CHECK(ts[2] == 140, "ours->ref: third timestamp %u", ts[2]);
            CHECK(w.ntypes[2] == 2 && w.ntypes[3] == 0, "ours: SMALL %d MINIMUM %d", w.ntypes[2],
                  w.ntypes[3]);
        } else {
            CHECK(ts[2] == 180, "ref->ref: the reference bug is expected (%u)", ts[2]);
            CHECK(w.ntypes[3] == 1, "ref: MINIMUM %d", w.ntypes[3]);
        }
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* writers see EPIPE when a failed reader shut its end */
    int have_ref = load_ref();
    wbody = malloc((2 << 20) + RTMP_MAX_HEADER_SIZE);
    if (!have_ref)
        printf("note: %s not found: reference round trips skipped\n", REF_PATH);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        roundtrip(&ours, &ours, seed * 7919, 1);
        if (have_ref) {
            roundtrip(&ours, &ref, seed * 7919, 1);
            roundtrip(&ref, &ours, seed * 104729, 0);
        }
    }
    for (uint64_t seed = 1; seed <= 4; seed++) {
        interleaved(&ours, seed, 1, 0);
        interleaved(&ours, seed, 0, 0);
        interleaved(&ours, seed, seed & 1, 1);
        if (have_ref)
            interleaved(&ref, seed, 1, 0);
    }
    if (have_ref)
        delta_deviation();
    printf("roundtrip messages per direction: %d\n", NMSG);
    return test_summary("test_chunk_roundtrip");
}
