/* Differential test of the play-side client: a tiny fake RTMP server (a forked child on a free
 * loopback port) answers the handshake and the commands with canned messages and prints every
 * message the client sends (chunk stream decoded: csid, header type, message type, timestamp
 * field, stream id, body in hex). The client side drives the library like rtmpdump / rtmpgw /
 * curl do and prints what the library reports (return values, FLV bytes from RTMP_Read,
 * m_read fields, duration). Run on our library and on librtmp 2.4: stdout and stderr must be
 * identical. Random handshake bytes are not printed (only C0, C1[4..8) and whether C2 echoes S1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librtmp/amf.h>
#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

/* exported by librtmp 2.4 but declared in no header */
int RTMP_FindPrefixProperty(AMFObject *obj, const AVal *name, AMFObjectProperty *p);

/* ---------------------------------------------------------------------------------------- */
/* fake server                                                                              */

static int srv_fd = -1;
static unsigned srv_out_chunk = 128;

static int readn(int fd, unsigned char *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 8000) <= 0)
            return 0;
        ssize_t k = read(fd, b + got, n - got);
        if (k <= 0)
            return 0;
        got += (size_t)k;
    }
    return 1;
}

static void writen(int fd, const unsigned char *b, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, b, n);
        if (k <= 0)
            return;
        b += k;
        n -= (size_t)k;
    }
}

/* One message with a type-0 header, split at srv_out_chunk with type-3 headers. */
static void srv_send(int csid, int type, uint32_t sid, uint32_t ts, const unsigned char *body,
                     size_t len)
{
    unsigned char h[12];
    h[0] = (unsigned char)csid;
    h[1] = ts >> 16; h[2] = ts >> 8; h[3] = ts;
    h[4] = len >> 16; h[5] = len >> 8; h[6] = len;
    h[7] = (unsigned char)type;
    h[8] = sid; h[9] = sid >> 8; h[10] = sid >> 16; h[11] = sid >> 24;
    writen(srv_fd, h, 12);
    size_t off = 0;
    do {
        size_t n = len - off < srv_out_chunk ? len - off : srv_out_chunk;
        if (off) {
            unsigned char c = 0xc0 | (unsigned char)csid;
            writen(srv_fd, &c, 1);
        }
        writen(srv_fd, body + off, n);
        off += n;
    } while (off < len);
}

/* A small AMF0 writer for the server's messages. */
typedef struct { unsigned char b[4096]; size_t n; } Buf;
static void put(Buf *o, const void *p, size_t n) { memcpy(o->b + o->n, p, n); o->n += n; }
static void put8(Buf *o, int v) { o->b[o->n++] = (unsigned char)v; }
static void put16(Buf *o, int v) { put8(o, v >> 8); put8(o, v); }
static void put32(Buf *o, uint32_t v) { put16(o, v >> 16); put16(o, v & 0xffff); }
static void astr(Buf *o, const char *s) { put8(o, 2); put16(o, (int)strlen(s)); put(o, s, strlen(s)); }
static void anum(Buf *o, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    put8(o, 0);
    for (int i = 7; i >= 0; i--)
        put8(o, (int)(u >> (i * 8)));
}
static void aname(Buf *o, const char *s) { put16(o, (int)strlen(s)); put(o, s, strlen(s)); }
static void aend(Buf *o) { put8(o, 0); put8(o, 0); put8(o, 9); }

static void status(uint32_t sid, const char *code)
{
    Buf o = { .n = 0 };
    astr(&o, "onStatus"); anum(&o, 0); put8(&o, 5);
    put8(&o, 3);
    aname(&o, "level"); astr(&o, "status");
    aname(&o, "code"); astr(&o, code);
    aname(&o, "description"); astr(&o, "canned");
    aend(&o);
    srv_send(5, 0x14, sid, 0, o.b, o.n);
}

static void result(double txn, int with_object, double value)
{
    Buf o = { .n = 0 };
    astr(&o, "_result"); anum(&o, txn);
    if (with_object) {
        put8(&o, 3);
        aname(&o, "fmsVer"); astr(&o, "FMS/3,5,7,7009");
        aname(&o, "capabilities"); anum(&o, 31);
        aend(&o);
        put8(&o, 3);
        aname(&o, "level"); astr(&o, "status");
        aname(&o, "code"); astr(&o, "NetConnection.Connect.Success");
        aname(&o, "objectEncoding"); anum(&o, 0);
        aend(&o);
    } else {
        put8(&o, 5);
        anum(&o, value);
    }
    srv_send(3, 0x14, 0, 0, o.b, o.n);
}

static void ctrl(int type, uint32_t v)
{
    Buf o = { .n = 0 };
    put16(&o, type); put32(&o, v);
    srv_send(2, 0x04, 0, 0, o.b, o.n);
}

static void media(int type, uint32_t ts, int len, int first)
{
    unsigned char b[400];
    for (int i = 0; i < len; i++)
        b[i] = (unsigned char)(i * 7 + ts + type);
    if (len > 0)
        b[0] = (unsigned char)first;
    srv_send(type == 8 ? 4 : 6, type, 1, ts, b, (size_t)len);
}

static void tag(Buf *o, int type, uint32_t ts, int len)
{
    put8(o, type);
    put8(o, len >> 16); put8(o, len >> 8); put8(o, len);
    put8(o, ts >> 16); put8(o, ts >> 8); put8(o, ts); put8(o, ts >> 24);
    put8(o, 0); put8(o, 0); put8(o, 0);
    for (int i = 0; i < len; i++)
        put8(o, i ^ type);
    put32(o, (uint32_t)len + 11);
}

static void metadata(void)
{
    Buf o = { .n = 0 };
    astr(&o, "onMetaData");
    put8(&o, 8); put32(&o, 6);
    aname(&o, "duration"); anum(&o, 2.5);
    aname(&o, "videocodecid"); anum(&o, 7);
    aname(&o, "audiocodecid"); anum(&o, 10);
    aname(&o, "encoder"); astr(&o, "fake\n");
    aname(&o, "empty"); astr(&o, "");
    aname(&o, "stereo"); put8(&o, 1); put8(&o, 1);
    aend(&o);
    srv_send(5, 0x12, 1, 0, o.b, o.n);
}

/* The server's reaction to each command, by scenario. */
static int scenario;
static int conn_index; /* connections accepted so far in this scenario */

/* Publisher authentication (scenarios 4..): the description of the `_error` answering the
 * connect of each successive connection; NULL accepts the connection. */
#define ADOBE_REJ "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : "
#define LLNW_REJ "[ AccessManager.Reject ] : [ code=403 need auth; authmod=llnw ] : "
#define NEEDAUTH_AGAIN "[ authmod=adobe ] : ?reason=needauth&user=eve&salt=s&challenge=c"
static const struct {
    int conns;
    const char *url_extra;
    const char *desc[6];
    /* librtmp 2.4 (Debian) answers an Adobe challenge with an unterminated base64 buffer: its
     * token carries stack bytes and overflows a heap block (it crashes in scenario 5). These
     * scenarios run on our side only, silently, and are checked against tokens computed
     * independently (Python hashlib/base64, rand() = 0x42deb7e9 after srand(1234)). */
    const char *ours_only_app;
} auth_case[] = {
    [4] = { 3, "pubUser=alice pubPasswd=secret",
            { ADOBE_REJ, "[ AccessManager.Reject ] : [ authmod=adobe ] : "
                         "?reason=needauth&user=alice&salt=S4lt&challenge=Ch4l&opaque=0paq", NULL },
            "live?authmod=adobe&user=alice&challenge=6bfeQg==&response=ytFvEUeN2CRinLgfwpbfTw==&opaque=0paq" },
    [5] = { 3, "pubUser=bob pubPasswd=pw",
            { ADOBE_REJ, "[ authmod=adobe ] : ?reason=needauth&user=bob&challenge=xyz&salt=pepper", NULL },
            "live?authmod=adobe&user=bob&challenge=6bfeQg==&response=DGa0TZRLGNc3VSkrEO/FqQ==&opaque=" },
    /* a server that never stops challenging: the client gives up after 4 nested reconnects */
    [6] = { 6, "pubUser=eve pubPasswd=x",
            { ADOBE_REJ, NEEDAUTH_AGAIN, NEEDAUTH_AGAIN, NEEDAUTH_AGAIN, NEEDAUTH_AGAIN, NEEDAUTH_AGAIN },
            "" },
    [7] = { 1, "buffer=100", { ADOBE_REJ } },
    [8] = { 3, "pubUser=carol pubPasswd=limelight",
            { LLNW_REJ, "[ authmod=llnw ] : ?reason=needauth&user=carol&nonce=bm9uY2U=", NULL } },
    [9] = { 2, "app=live/inst pubUser=dave pubPasswd=x",
            { LLNW_REJ, "[ authmod=llnw ] : ?reason=nosuchuser" } },
    [10] = { 1, "pubUser=alice pubPasswd=secret", { "[ AccessManager.Reject ] : not allowed" } },
    [11] = { 2, "pubUser=eve pubPasswd=x",
             { "[ code=403 need auth; authmod=llnw ]", "[ authmod=llnw ] : ?reason=authfail" } },
    [12] = { 2, "pubUser=alice pubPasswd=wrong",
             { ADOBE_REJ, "[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=authfailed&opaque=o" } },
    [13] = { 2, "pubUser=alice pubPasswd=secret", { ADOBE_REJ, ADOBE_REJ } },
    [14] = { 2, "pubUser=alice pubPasswd=secret", { ADOBE_REJ, "[ authmod=adobe ] : ?reason=nosuchuser" } },
    [15] = { 2, "pubUser=alice pubPasswd=secret", { ADOBE_REJ, "[ authmod=adobe ] : ?reason=whatever" } },
};
#define FIRST_AUTH 4
#define LAST_AUTH 15
#define IS_AUTH(w) ((w) >= FIRST_AUTH && (w) <= LAST_AUTH)
/* RTMP_Read resume (rtmpdump -e, the file ends with the keyframe at 5000 ms): a server that
 * restarts the timestamps at 0 (FMS; compared with librtmp) and one that keeps them absolute
 * (nginx-rtmp; librtmp fails there, checked on our side only). */
#define RESUME_REL 16
#define RESUME_ABS 17
#define RESUME_TS 5000
#define LAST_SCENARIO 17

static void error_reply(double txn, const char *desc)
{
    Buf o = { .n = 0 };
    astr(&o, "_error"); anum(&o, txn); put8(&o, 5);
    put8(&o, 3);
    aname(&o, "level"); astr(&o, "error");
    aname(&o, "code"); astr(&o, "NetConnection.Connect.Rejected");
    aname(&o, "description"); astr(&o, desc);
    aend(&o);
    srv_send(3, 0x14, 0, 0, o.b, o.n);
}

static void on_command(const char *name, double txn)
{
    if (!strcmp(name, "connect") && IS_AUTH(scenario) && auth_case[scenario].desc[conn_index]) {
        error_reply(txn, auth_case[scenario].desc[conn_index]);
        shutdown(srv_fd, SHUT_WR); /* a rejecting server hangs up */
    } else if (!strcmp(name, "connect")) {
        Buf o = { .n = 0 };
        put32(&o, 2500000);
        srv_send(2, 0x05, 0, 0, o.b, o.n);
        o.n = 0;
        put32(&o, scenario == 1 ? 3000 : 2500000); put8(&o, 2); /* small window: acks */
        srv_send(2, 0x06, 0, 0, o.b, o.n);
        o.n = 0;
        put32(&o, 4096);
        srv_send(2, 0x01, 0, 0, o.b, o.n);
        srv_out_chunk = 4096;
        result(txn, 1, 0);
        if (scenario == 1) {
            o.n = 0;
            astr(&o, "onBWDone"); anum(&o, 0); put8(&o, 5);
            srv_send(3, 0x14, 0, 0, o.b, o.n);
        }
        if (scenario == 3) {
            o.n = 0;
            astr(&o, "close"); anum(&o, 0); put8(&o, 5);
            srv_send(3, 0x14, 0, 0, o.b, o.n);
        }
    } else if (!strcmp(name, "createStream")) {
        result(txn, 0, 1);
    } else if (!strcmp(name, "publish")) {
        status(1, "NetStream.Publish.Start");
    } else if (!strcmp(name, "play")) {
        if (scenario == 2) {
            status(1, "NetStream.Play.StreamNotFound");
            return;
        }
        if (scenario == RESUME_REL || scenario == RESUME_ABS) {
            uint32_t t0 = scenario == RESUME_ABS ? RESUME_TS : 0;
            ctrl(0, 1);
            status(1, "NetStream.Play.Start");
            metadata();
            media(9, t0, 60, 0x17); /* the keyframe the file ends with */
            media(8, t0, 20, 0xaf);
            media(9, t0 + 40, 300, 0x27);
            media(8, t0 + 46, 200, 0xaf);
            media(9, t0 + 80, 333, 0x17);
            status(1, "NetStream.Play.Stop");
            return;
        }
        ctrl(0, 1);
        ctrl(6, 0x01020304);
        status(1, "NetStream.Play.Start");
        {
            Buf o = { .n = 0 };
            astr(&o, "|RtmpSampleAccess"); put8(&o, 1); put8(&o, 0); put8(&o, 1); put8(&o, 0);
            srv_send(5, 0x12, 1, 0, o.b, o.n);
        }
        metadata();
        media(9, 0, 40, 0x17);
        media(8, 0, 20, 0xaf);
        media(9, 0, 5, 0x17);      /* too small: ignored */
        media(8, 0, 1, 0xaf);      /* too small: ignored */
        media(9, 40, 300, 0x27);
        media(8, 46, 200, 0xaf);
        {
            Buf o = { .n = 0 };
            tag(&o, 9, 500, 30);
            tag(&o, 8, 520, 12);
            tag(&o, 9, 540, 25);
            srv_send(6, 0x16, 1, 80, o.b, o.n);
        }
        media(9, 120, 333, 0x27);
        status(1, "NetStream.Play.Stop");
    }
}

static const char *hex_of(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
    return out;
}

/* The port differs between runs: every occurrence of its digits in a body prints as 'P's. */
static int srv_port;
static void mask_port(unsigned char *b, size_t n)
{
    char ps[16];
    size_t pl = (size_t)snprintf(ps, sizeof ps, "%d", srv_port);
    for (size_t i = 0; i + pl <= n; i++)
        if (!memcmp(b + i, ps, pl))
            memset(b + i, 'P', pl);
}

static void serve(int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        exit(2);
    srv_fd = fd;
    srv_out_chunk = 128;
    unsigned char c01[1537], s1[1536], c2[1536];
    if (!readn(fd, c01, sizeof c01)) {
        printf("S: no C0+C1\n");
        return;
    }
    printf("S: C0=%02x C1[4..8)=%02x%02x%02x%02x\n", c01[0], c01[5], c01[6], c01[7], c01[8]);
    for (int i = 0; i < 1536; i++)
        s1[i] = (unsigned char)(i * 13 + 5);
    memset(s1, 0, 8);
    unsigned char s0 = 3;
    writen(fd, &s0, 1);
    writen(fd, s1, sizeof s1);
    writen(fd, c01 + 1, 1536); /* S2 = C1 */
    if (!readn(fd, c2, sizeof c2)) {
        printf("S: no C2\n");
        return;
    }
    printf("S: C2 echoes S1: %s\n", memcmp(c2, s1, sizeof s1) ? "no" : "yes");

    /* decode the client's chunk stream */
    struct { uint32_t len, type, sid, ts; unsigned char *body; uint32_t got; int fmt; } st[64];
    memset(st, 0, sizeof st);
    unsigned in_chunk = 128;
    for (;;) {
        unsigned char b0;
        if (!readn(fd, &b0, 1))
            break;
        int fmt = b0 >> 6, cs = b0 & 63;
        if (cs < 2) {
            printf("S: unsupported csid escape\n");
            break;
        }
        static const int hl[4] = { 11, 7, 3, 0 };
        unsigned char h[11];
        if (!readn(fd, h, (size_t)hl[fmt]))
            break;
        if (fmt <= 2)
            st[cs].ts = (uint32_t)h[0] << 16 | h[1] << 8 | h[2];
        if (fmt <= 1) {
            st[cs].len = (uint32_t)h[3] << 16 | h[4] << 8 | h[5];
            st[cs].type = h[6];
        }
        if (fmt == 0)
            st[cs].sid = (uint32_t)h[7] | h[8] << 8 | h[9] << 16 | (uint32_t)h[10] << 24;
        if (st[cs].got == 0) {
            st[cs].fmt = fmt;
            free(st[cs].body);
            st[cs].body = malloc(st[cs].len + 1);
        }
        uint32_t n = st[cs].len - st[cs].got;
        if (n > in_chunk)
            n = in_chunk;
        if (!readn(fd, st[cs].body + st[cs].got, n))
            break;
        st[cs].got += n;
        if (st[cs].got < st[cs].len)
            continue;
        st[cs].got = 0;
        mask_port(st[cs].body, st[cs].len);
        char *hx = malloc(2 * st[cs].len + 1);
        /* publishing, our library announces chunk size 4096 (docs/compat.md); not shown */
        if (!(IS_AUTH(scenario) && st[cs].type == 0x01))
        printf("S: msg csid=%d fmt=%d type=0x%02x ts=%u sid=%u len=%u %s\n", cs, st[cs].fmt,
               st[cs].type, st[cs].ts, st[cs].sid, st[cs].len,
               hex_of(st[cs].body, st[cs].len, hx));
        free(hx);
        if (st[cs].type == 0x01 && st[cs].len >= 4)
            in_chunk = (unsigned)st[cs].body[0] << 24 | st[cs].body[1] << 16 | st[cs].body[2] << 8 | st[cs].body[3];
        if (st[cs].type == 0x14 && st[cs].len > 3 && st[cs].body[0] == 2) {
            unsigned nl = (unsigned)st[cs].body[1] << 8 | st[cs].body[2];
            if (3 + nl + 9 <= st[cs].len) {
                char name[64] = { 0 };
                memcpy(name, st[cs].body + 3, nl < 63 ? nl : 63);
                uint64_t u = 0;
                for (int i = 0; i < 8; i++)
                    u = u << 8 | st[cs].body[3 + nl + 1 + i];
                double txn;
                memcpy(&txn, &u, 8);
                on_command(name, txn);
            }
        }
    }
    for (int i = 0; i < 64; i++)
        free(st[i].body);
    printf("S: connection closed\n");
    close(fd);
}

/* ---------------------------------------------------------------------------------------- */
/* client side                                                                              */

static char out[1 << 16];
static size_t outn;
#define OUT(...) (outn += (size_t)snprintf(out + outn, sizeof out - outn, __VA_ARGS__))

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4) ||
        getsockname(fd, (struct sockaddr *)&a, &l))
        exit(3);
    *port = ntohs(a.sin_port);
    return fd;
}

static void dump_flv(const char *what, const unsigned char *b, size_t n)
{
    OUT("C: %s %zu bytes\n", what, n);
    for (size_t i = 0; i < n; i += 32) {
        OUT("C:   ");
        for (size_t j = i; j < n && j < i + 32; j++)
            OUT("%02x", b[j]);
        OUT("\n");
    }
}

static void run(int which)
{
    const char *ours_only = IS_AUTH(which) ? auth_case[which].ours_only_app : NULL;
    if (ours_only) {
        printf("(checked on our side only: librtmp 2.4 sends stack bytes in this token)\n");
        if (on_reference())
            return;
    }
    if (which == RESUME_ABS) {
        printf("(checked on our side only: librtmp 2.4 cannot resume against absolute timestamps)\n");
        if (on_reference())
            return;
        ours_only = "";
    }
    int port;
    int lfd = listen_any(&port);
    fflush(stdout);
    srv_port = port;
    pid_t pid = fork();
    if (pid == 0) {
        if (ours_only && !freopen("/dev/null", "w", stdout))
            _exit(9);
        scenario = which;
        srv_port = port;
        int conns = IS_AUTH(which) ? auth_case[which].conns : 1;
        for (conn_index = 0; conn_index < conns; conn_index++) {
            struct pollfd pl = { lfd, POLLIN, 0 };
            if (poll(&pl, 1, which == 6 ? 1000 : 8000) <= 0) {
                printf("S: no connection %d\n", conn_index);
                break;
            }
            printf("S: connection %d\n", conn_index);
            serve(lfd);
        }
        fflush(stdout);
        _exit(conn_index);
        fflush(stdout);
        _exit(0);
    }
    close(lfd);
    outn = 0;
    char url[512];
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    int ok;
    if (which == 1) {
        snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/vod/clip.flv timeout=5", port);
        OUT("C: SetupURL %d\n", RTMP_SetupURL(r, url));
        r->Link.lFlags |= RTMP_LF_BUFX;
        OUT("C: Connect %d\n", RTMP_Connect(r, NULL));
        ok = RTMP_ConnectStream(r, 0);
        OUT("C: ConnectStream %d playing=%d stream_id=%d\n", ok, r->m_bPlaying, r->m_stream_id);
        OUT("C: Pause(1) %d\n", RTMP_Pause(r, 1));
        OUT("C: Pause(0) %d\n", RTMP_Pause(r, 0));
        RTMP_SetBufferMS(r, 4321);
        RTMP_UpdateBufferMS(r);
        unsigned char flv[8192];
        size_t n = 0;
        int k;
        /* small reads exercise the pending-bytes path */
        while (n < sizeof flv - 100 && (k = RTMP_Read(r, (char *)flv + n, 100)) > 0)
            n += (size_t)k;
        /* then as rtmpdump's loop: read while the result is >= 0 and the handle is connected
           (the end leaves ours connected until the next call, docs/compat.md "Read path") */
        for (int more = 0; more < 3 && k >= 0 && RTMP_IsConnected(r); more++)
            k = RTMP_Read(r, (char *)flv + n, 100);
        OUT("C: last Read %d status=%d timestamp=%u dataType=%d duration=%.2f\n", k,
            r->m_read.status, r->m_read.timestamp, r->m_read.dataType, RTMP_GetDuration(r));
        dump_flv("FLV", flv, n);
        OUT("C: connected=%d numInvokes=%d stream_id=%d\n", RTMP_IsConnected(r),
            r->m_numInvokes, r->m_stream_id);
    } else if (which == 2) {
        snprintf(url, sizeof url,
                 "rtmp://127.0.0.1:%d/live/cam live=1 conn=B:1 conn=S:x conn=O:1 conn=NN:code:1.5 "
                 "conn=O:0 flashver=FV\\2010 swfUrl=http://s/p.swf pageUrl=http://p/ subscribe=sub "
                 "buffer=1234 timeout=5",
                 port);
        OUT("C: SetupURL %d\n", RTMP_SetupURL(r, url));
        OUT("C: Connect %d\n", RTMP_Connect(r, NULL));
        ok = RTMP_ConnectStream(r, 0);
        OUT("C: ConnectStream %d playing=%d stream_id=%d connected=%d\n", ok, r->m_bPlaying,
            r->m_stream_id, RTMP_IsConnected(r));
        char b[64];
        int k = RTMP_Read(r, b, sizeof b);
        OUT("C: Read %d status=%d\n", k, r->m_read.status);
    } else if (which == RESUME_REL || which == RESUME_ABS) {
        uint32_t t0 = which == RESUME_ABS ? RESUME_TS : 0;
        static char kf[60];
        for (int i = 0; i < 60; i++)
            kf[i] = (char)(i * 7 + t0 + 9);
        kf[0] = 0x17;
        snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/vod/clip.flv timeout=5", port);
        OUT("C: SetupURL %d\n", RTMP_SetupURL(r, url));
        /* what rtmpdump -e sets from the partial file */
        r->m_read.flags |= RTMP_READ_RESUME;
        r->m_read.timestamp = RESUME_TS;
        r->m_read.nResumeTS = RESUME_TS;
        r->m_read.initialFrame = kf;
        r->m_read.nInitialFrameSize = sizeof kf;
        r->m_read.initialFrameType = 9;
        if (ours_only)
            RTMP_LogSetLevel(RTMP_LOGCRIT);
        OUT("C: Connect %d\n", RTMP_Connect(r, NULL));
        ok = RTMP_ConnectStream(r, RESUME_TS);
        OUT("C: ConnectStream %d playing=%d\n", ok, r->m_bPlaying);
        static unsigned char flv[8192];
        size_t n = 0;
        int k;
        while (n < sizeof flv - 100 && (k = RTMP_Read(r, (char *)flv + n, 100)) > 0)
            n += (size_t)k;
        OUT("C: last Read %d status=%d timestamp=%u\n", k, r->m_read.status, r->m_read.timestamp);
        dump_flv("FLV", flv, n);
        RTMP_LogSetLevel(RTMP_LOGERROR);
        if (ours_only) {
            /* the tags after the keyframe, at their own (absolute) timestamps */
            static const struct { int type; uint32_t ts; int len, first; } want[] = {
                { 8, RESUME_TS, 20, 0xaf }, { 9, RESUME_TS + 40, 300, 0x27 },
                { 8, RESUME_TS + 46, 200, 0xaf }, { 9, RESUME_TS + 80, 333, 0x17 },
            };
            size_t at = 0;
            for (size_t t = 0; t < sizeof want / sizeof want[0]; t++) {
                int len = want[t].len;
                int good = at + 11 + (size_t)len + 4 <= n && flv[at] == want[t].type &&
                           (flv[at + 1] << 16 | flv[at + 2] << 8 | flv[at + 3]) == len &&
                           ((uint32_t)flv[at + 7] << 24 | (uint32_t)flv[at + 4] << 16 |
                            (uint32_t)flv[at + 5] << 8 | flv[at + 6]) == want[t].ts;
                for (int i = 0; good && i < len; i++)
                    good = flv[at + 11 + (size_t)i] ==
                           (unsigned char)(i ? (uint32_t)(i * 7 + want[t].type) + want[t].ts : (uint32_t)want[t].first);
                CHECK(good, "resume (absolute): tag %zu differs", t);
                at += 11 + (size_t)len + 4;
            }
            CHECK(at == n, "resume (absolute): %zu bytes, expected %zu", n, at);
        }
    } else if (IS_AUTH(which)) {
        /* a publisher (curl -T, librtmp-based encoders) meeting publisher authentication */
        snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/live/cam %s timeout=5", port,
                 auth_case[which].url_extra);
        OUT("C: SetupURL %d\n", RTMP_SetupURL(r, url));
        RTMP_EnableWrite(r);
        if (ours_only)
            RTMP_LogSetLevel(RTMP_LOGCRIT);
        srand(1234); /* the client nonces come from rand() */
        OUT("C: Connect %d\n", RTMP_Connect(r, NULL));
        ok = RTMP_ConnectStream(r, 0);
        char a[512], t[512];
        snprintf(a, sizeof a, "%.*s", r->Link.app.av_len, r->Link.app.av_val);
        snprintf(t, sizeof t, "%.*s", r->Link.tcUrl.av_len, r->Link.tcUrl.av_val);
        mask_port((unsigned char *)t, strlen(t));
        OUT("C: ConnectStream %d playing=%d stream_id=%d connected=%d\n", ok, r->m_bPlaying,
            r->m_stream_id, RTMP_IsConnected(r));
        OUT("C: app=%s\nC: tcUrl=%s\n", a, t);
        if (ours_only && *ours_only) {
            char want[512];
            snprintf(want, sizeof want, "rtmp://127.0.0.1:%d/%s", port, ours_only);
            mask_port((unsigned char *)want, strlen(want));
            CHECK(ok == 1 && r->m_bPlaying, "scenario %d: ConnectStream %d", which, ok);
            CHECK(!strcmp(a, ours_only), "scenario %d: app %s", which, a);
            CHECK(!strcmp(t, want), "scenario %d: tcUrl %s", which, t);
        } else if (ours_only) {
            CHECK(ok == 0 && !RTMP_IsConnected(r), "scenario %d: ConnectStream %d", which, ok);
        }
        RTMP_LogSetLevel(RTMP_LOGERROR);
    } else {
        /* curl's path: the caller connects the socket, then RTMP_Connect1 */
        snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/app/s", port);
        OUT("C: SetupURL %d\n", RTMP_SetupURL(r, url));
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&a, sizeof a))
            exit(4);
        r->m_sb.sb_socket = fd;
        OUT("C: Connect1 %d\n", RTMP_Connect1(r, NULL));
        r->m_bSendCounter = 1;
        ok = RTMP_ConnectStream(r, 0);
        OUT("C: ConnectStream %d connected=%d\n", ok, RTMP_IsConnected(r));
    }
    (void)ok;
    RTMP_Close(r);
    RTMP_Close(r);
    AMF_Reset(&r->Link.extras); /* conn= objects: Close keeps them (as librtmp does) */
    RTMP_Free(r);
    int st;
    waitpid(pid, &st, 0);
    fflush(stdout);
    if (ours_only) {
        /* connections: 3 for a login, 5 when giving up (the first + 4 nested reconnects), 1 for
         * the resume */
        int want = which == RESUME_ABS ? 1 : *ours_only ? 3 : 5;
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == want, "scenario %d: server saw %d connections",
              which, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return;
    }
    fputs(out, stdout);
    printf("C: server exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void props(void)
{
    /* RTMP_FindFirstMatchingProperty / RTMP_FindPrefixProperty on a decoded object */
    Buf o = { .n = 0 };
    astr(&o, "onMetaData");
    put8(&o, 8); put32(&o, 2);
    aname(&o, "videosize"); anum(&o, 1);
    aname(&o, "inner"); put8(&o, 3);
    aname(&o, "duration"); anum(&o, 9.5);
    aname(&o, "audiox"); anum(&o, 2);
    aend(&o);
    aend(&o);
    put8(&o, 3);
    aname(&o, "videox"); anum(&o, 3);
    aend(&o);
    AMFObject obj;
    int n = AMF_Decode(&obj, (char *)o.b, (int)o.n, FALSE);
    AMFObjectProperty p;
    AVal names[] = { AVC("duration"), AVC("video"), AVC("audio"), AVC("videox"), AVC("nope") };
    printf("P: decoded %d props=%d\n", n, obj.o_num);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        memset(&p, 0, sizeof p);
        int a = RTMP_FindFirstMatchingProperty(&obj, &names[i], &p);
        printf("P: first %s -> %d %.*s %.2f\n", names[i].av_val, a, p.p_name.av_len,
               p.p_name.av_val ? p.p_name.av_val : "", a ? p.p_vu.p_number : 0.0);
        memset(&p, 0, sizeof p);
        a = RTMP_FindPrefixProperty(&obj, &names[i], &p);
        printf("P: prefix %s -> %d %.*s\n", names[i].av_val, a, p.p_name.av_len,
               p.p_name.av_val ? p.p_name.av_val : "");
    }
    AMF_Reset(&obj);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    props();
    for (int i = 1; i <= LAST_SCENARIO; i++) {
        printf("== scenario %d\n", i);
        run(i);
    }
    return test_failures ? 1 : 0;
}
