/* The fixed server side of bench-tunnel.sh's rtmpe:// cases: an RTMP/RTMPE server on the public
 * librtmp API, built and run on the system librtmp 2.4 only (both client libraries meet the same
 * server). Loopback only; serves one client after another until it is killed.
 *
 *   bench_rtmpe_server PORT FLV
 *
 * Per connection: accept, RTMP_Serve (the library picks plain / encrypted from the client's C0),
 * then commands:
 *   connect            Window Ack Size, Set Peer Bandwidth, Set Chunk Size 4096, _result
 *   createStream       _result 1
 *   releaseStream, FCPublish, FCUnpublish, _checkbw, getStreamLength ...   _result when txn > 0
 *   play               StreamBegin 1, onStatus Play.Reset + Play.Start, every tag of FLV as one
 *                      message on stream 1 (as fast as the socket takes it), onPlayStatus
 *                      Play.Complete, onStatus Play.Stop; then waits for the client to go
 *   publish            onStatus NetStream.Publish.Start on stream 1; then every packet is read
 *                      (RTMP_ReadPacket) and discarded until the client closes, counting media
 *                      messages (types 8, 9, 18) and their body bytes
 * A client's Set Chunk Size (type 1) is applied to the reading side. A connection ends when the
 * client closes, on a read error, or after 10 s without data.
 * Prints one line per connection on stdout (flushed):
 *   conn N mode=play|publish|none enc=0|1 msgs=M bytes=B secs=S
 * where msgs/bytes are the media messages sent (play) or received (publish) and secs the time
 * from the first media message to the end of the connection. Exit 1 only on a listen error. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <librtmp/amf.h>
#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#define LIT(s) { (char *)(s), (int)sizeof(s) - 1 }

struct conn {
    RTMP *r;
    const char *flv;
    const char *mode;
    long msgs;
    double bytes, t_first, t_end;
    int finished; /* play: everything sent */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* one message BODY[0..len) of TYPE on chunk stream CS, message stream SID, timestamp TS */
static int put(RTMP *r, int cs, int type, int sid, uint32_t ts, const char *body, size_t len)
{
    RTMPPacket p;
    int ok;
    memset(&p, 0, sizeof p);
    if (!RTMPPacket_Alloc(&p, (uint32_t)len))
        return 0;
    p.m_headerType = RTMP_PACKET_SIZE_LARGE;
    p.m_packetType = (uint8_t)type;
    p.m_nChannel = cs;
    p.m_nTimeStamp = ts;
    p.m_hasAbsTimestamp = 1;
    p.m_nInfoField2 = sid;
    p.m_nBodySize = (uint32_t)len;
    memcpy(p.m_body, body, len);
    ok = RTMP_SendPacket(r, &p, FALSE);
    RTMPPacket_Free(&p);
    return ok;
}

static char *named(char *e, char *end, const char *name, const char *val)
{
    AVal n = { (char *)name, (int)strlen(name) }, v = { (char *)val, (int)strlen(val) };
    return e ? AMF_EncodeNamedString(e, end, &n, &v) : NULL;
}

static char *obj_end(char *e, char *end)
{
    if (!e || e + 3 > end)
        return NULL;
    *e++ = 0;
    *e++ = 0;
    *e++ = AMF_OBJECT_END;
    return e;
}

/* NAME txn null {level status, code CODE, description CODE} on stream SID (onStatus) */
static int status(RTMP *r, const char *name, int sid, const char *code)
{
    char b[512], *end = b + sizeof b, *e;
    AVal n = { (char *)name, (int)strlen(name) };
    e = AMF_EncodeString(b, end, &n);
    e = e ? AMF_EncodeNumber(e, end, 0) : NULL;
    if (!e || e + 2 > end)
        return 0;
    *e++ = AMF_NULL;
    *e++ = AMF_OBJECT;
    e = named(e, end, "level", "status");
    e = named(e, end, "code", code);
    e = named(e, end, "description", code);
    e = obj_end(e, end);
    return e && put(r, 5, 0x14, sid, 0, b, (size_t)(e - b));
}

/* _result TXN null [NUMBER] */
static int result(RTMP *r, double txn, int with_number, double number)
{
    static const AVal res = LIT("_result");
    char b[128], *end = b + sizeof b, *e;
    e = AMF_EncodeString(b, end, &res);
    e = e ? AMF_EncodeNumber(e, end, txn) : NULL;
    if (!e)
        return 0;
    *e++ = AMF_NULL;
    if (with_number)
        e = AMF_EncodeNumber(e, end, number);
    return e && put(r, 3, 0x14, 0, 0, b, (size_t)(e - b));
}

static int connect_result(RTMP *r, double txn)
{
    static const AVal res = LIT("_result"), caps = LIT("capabilities"), oe = LIT("objectEncoding");
    char b[512], *end = b + sizeof b, *e, v[4];
    AMF_EncodeInt32(v, v + 4, 2500000);
    put(r, 2, 0x05, 0, 0, v, 4);
    {
        char bw[5];
        AMF_EncodeInt32(bw, bw + 4, 2500000);
        bw[4] = 2;
        put(r, 2, 0x06, 0, 0, bw, 5);
    }
    AMF_EncodeInt32(v, v + 4, 4096);
    if (put(r, 2, 0x01, 0, 0, v, 4))
        r->m_outChunkSize = 4096;
    e = AMF_EncodeString(b, end, &res);
    e = e ? AMF_EncodeNumber(e, end, txn) : NULL;
    if (!e)
        return 0;
    *e++ = AMF_OBJECT;
    e = named(e, end, "fmsVer", "FMS/3,5,1,525");
    e = e ? AMF_EncodeNamedNumber(e, end, &caps, 31.0) : NULL;
    e = obj_end(e, end);
    if (!e)
        return 0;
    *e++ = AMF_OBJECT;
    e = named(e, end, "level", "status");
    e = named(e, end, "code", "NetConnection.Connect.Success");
    e = named(e, end, "description", "Connection succeeded.");
    e = e ? AMF_EncodeNamedNumber(e, end, &oe, r->m_fEncoding) : NULL;
    e = obj_end(e, end);
    return e && put(r, 3, 0x14, 0, 0, b, (size_t)(e - b));
}

static uint32_t be_n(const unsigned char *p, int n)
{
    uint32_t v = 0;
    while (n-- > 0)
        v = v << 8 | *p++;
    return v;
}

/* every audio / video / data tag of the FLV as one message on stream 1 */
static int play_flv(struct conn *c)
{
    FILE *f = fopen(c->flv, "rb");
    unsigned char h[11];
    char *body = NULL;
    size_t cap = 0;
    int ok = 1;
    if (!f)
        return 0;
    if (fread(h, 1, 9, f) != 9 || memcmp(h, "FLV", 3) || fseek(f, (long)be_n(h + 5, 4) + 4, SEEK_SET)) {
        fclose(f);
        return 0;
    }
    c->t_first = mono();
    while (ok && fread(h, 1, 11, f) == 11) {
        size_t n = be_n(h + 1, 3);
        uint32_t ts = be_n(h + 4, 3) | (uint32_t)h[7] << 24;
        int type = h[0] & 0x1f;
        if (n > cap) {
            char *nb = realloc(body, n);
            if (!nb) {
                ok = 0;
                break;
            }
            body = nb;
            cap = n;
        }
        if (fread(body, 1, n, f) != n || fseek(f, 4, SEEK_CUR)) {
            ok = 0;
            break;
        }
        if (type != 8 && type != 9 && type != 18)
            continue;
        ok = put(c->r, type == 8 ? 4 : type == 9 ? 6 : 5, type, 1, ts, body, n);
        if (ok) {
            c->msgs++;
            c->bytes += (double)n;
        }
    }
    free(body);
    fclose(f);
    if (!ok)
        return 0;
    {
        static const AVal ops = LIT("onPlayStatus");
        char b[256], *end = b + sizeof b, *e = AMF_EncodeString(b, end, &ops);
        if (!e)
            return 0;
        *e++ = AMF_OBJECT;
        e = named(e, end, "code", "NetStream.Play.Complete");
        e = named(e, end, "level", "status");
        e = obj_end(e, end);
        if (!e || !put(c->r, 5, 0x12, 1, 0, b, (size_t)(e - b)))
            return 0;
    }
    return status(c->r, "onStatus", 1, "NetStream.Play.Stop");
}

static void command(struct conn *c, const char *body, int len)
{
    AMFObject o;
    AVal m;
    double txn;
    if (len < 1 || body[0] != AMF_STRING || AMF_Decode(&o, body, len, FALSE) < 0)
        return;
    AMFProp_GetString(AMF_GetProp(&o, NULL, 0), &m);
    txn = AMFProp_GetNumber(AMF_GetProp(&o, NULL, 1));
#define IS(s) (m.av_len == (int)sizeof(s) - 1 && !memcmp(m.av_val, s, sizeof(s) - 1))
    if (IS("connect")) {
        connect_result(c->r, txn);
    } else if (IS("createStream")) {
        result(c->r, txn, 1, 1.0);
    } else if (IS("publish")) {
        c->mode = "publish";
        status(c->r, "onStatus", 1, "NetStream.Publish.Start");
    } else if (IS("play")) {
        c->mode = "play";
        RTMP_SendCtrl(c->r, 0, 1, 0);
        status(c->r, "onStatus", 1, "NetStream.Play.Reset");
        status(c->r, "onStatus", 1, "NetStream.Play.Start");
        c->finished = play_flv(c);
        c->t_end = mono();
    } else if (txn > 0 && !IS("deleteStream") && !IS("closeStream")) {
        result(c->r, txn, IS("getStreamLength"), 0.0);
    }
#undef IS
    AMF_Reset(&o);
}

static void serve(int fd, int n, const char *flv)
{
    struct conn c;
    RTMPPacket p;
    int ok;
    memset(&c, 0, sizeof c);
    memset(&p, 0, sizeof p);
    c.flv = flv;
    c.mode = "none";
    c.r = RTMP_Alloc();
    RTMP_Init(c.r);
    c.r->m_sb.sb_socket = fd;
    ok = RTMP_Serve(c.r);
    while (ok && RTMP_IsConnected(c.r) && RTMP_ReadPacket(c.r, &p)) {
        if (!RTMPPacket_IsReady(&p))
            continue;
        switch (p.m_packetType) {
        case 0x01:
            if (p.m_nBodySize >= 4)
                c.r->m_inChunkSize = (int)AMF_DecodeInt32(p.m_body);
            break;
        case 0x14:
            command(&c, p.m_body, (int)p.m_nBodySize);
            break;
        case 0x11:
            if (p.m_nBodySize > 1)
                command(&c, p.m_body + 1, (int)p.m_nBodySize - 1);
            break;
        case 0x08:
        case 0x09:
        case 0x12:
            if (!c.msgs)
                c.t_first = mono();
            c.msgs++;
            c.bytes += p.m_nBodySize;
            c.t_end = mono();
            break;
        }
        RTMPPacket_Free(&p);
    }
    RTMPPacket_Free(&p);
    if (!strcmp(c.mode, "publish"))
        c.t_end = mono();
    printf("conn %d mode=%s enc=%d handshake=%s msgs=%ld bytes=%.0f secs=%.6f%s\n", n, c.mode,
           (c.r->Link.protocol & RTMP_FEATURE_ENC) ? 1 : 0, ok ? "ok" : "FAILED", c.msgs, c.bytes,
           c.msgs ? c.t_end - c.t_first : 0.0,
           !strcmp(c.mode, "play") && !c.finished ? " (play incomplete)" : "");
    fflush(stdout);
    RTMP_Close(c.r);
    RTMP_Free(c.r);
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    int ls, one = 1;
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT FLV\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    RTMP_LogSetLevel(RTMP_LOGERROR);
    ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0)
        return perror("socket"), 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(argv[1]));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 4) < 0)
        return perror("listen"), 1;
    for (int n = 1;; n++) {
        struct timeval tv = { 10, 0 };
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        serve(fd, n, argv[2]);
    }
}
