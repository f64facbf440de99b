/* A small RTMP/RTMPE VOD server on the public librtmp API, for the RTMPE integration scenarios
 * (c-tests/integration/rtmpe.sh). The same source is linked once against our build/lib and once
 * against the system librtmp 2.4; LD_LIBRARY_PATH picks the library at run time.
 *
 *   rtmpe_server PORT FLV [CONNECTIONS] [-v]
 *
 * Listens on 127.0.0.1:PORT and serves CONNECTIONS (default 1) clients one after the other:
 * accept, RTMP_Serve (the library chooses plain / FP9 / encrypted from C0; for RTMPE it answers
 * type 8 or 6, ours as LIBRTMP_RTMPE_TYPE says), then answers connect (_result,
 * NetConnection.Connect.Success), createStream (_result 1), play (StreamBegin, onStatus
 * NetStream.Play.Reset + Play.Start) and the side calls rtmpdump may make (releaseStream,
 * FCPublish, FCSubscribe, _checkbw, getStreamLength, deleteStream ...: a harmless _result or
 * nothing), then sends every tag of FLV as one RTMP message on stream 1 (audio 8 / video 9 /
 * data 18, the tag's timestamp), onPlayStatus NetStream.Play.Complete and onStatus
 * NetStream.Play.Stop, and closes once the client has gone (or after a few seconds).
 * Prints one line per connection on stdout:
 *   conn N: handshake ok|FAILED requested=XX answered=XX enc=0|1 app=... tcUrl=... play=...
 *           tags=T bytes=B
 * (requested / answered: the C0 / S0 types from the library's DEBUG log lines "Type Requested"
 * and "Type Answer" during RTMP_Serve; "-" when the library printed none: librtmp 2.4's server
 * logs only "Type Requested", the S0 it answered shows in the client's -V log as "Type Answer"). -v copies the library's
 * log (DEBUG during the handshake, INFO after it) to stderr. Exit 0 when every connection
 * completed its handshake and streamed the file after a play, else 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
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

static int verbose;
static int seen_req = -1, seen_ans = -1;

static void log_cb(int level, const char *fmt, va_list ap)
{
    char line[2048];
    const char *p;
    vsnprintf(line, sizeof line, fmt, ap);
    if ((p = strstr(line, "Type Requested")) && (p = strchr(p, ':')))
        seen_req = (int)strtol(p + 1, NULL, 16);
    else if ((p = strstr(line, "Type Answer")) && (p = strchr(p, ':')))
        seen_ans = (int)strtol(p + 1, NULL, 16);
    if (verbose && level <= (int)RTMP_LogGetLevel())
        fprintf(stderr, "%s\n", line);
}

#define AVS(s) { (char *)(s), (int)sizeof(s) - 1 }
static const AVal av_result = AVS("_result");
static const AVal av_onStatus = AVS("onStatus");
static const AVal av_onPlayStatus = AVS("onPlayStatus");
static const AVal av_level = AVS("level");
static const AVal av_status = AVS("status");
static const AVal av_code = AVS("code");
static const AVal av_description = AVS("description");
static const AVal av_fmsVer = AVS("fmsVer");
static const AVal av_fmsVerVal = AVS("FMS/3,5,1,525");
static const AVal av_capabilities = AVS("capabilities");
static const AVal av_mode = AVS("mode");
static const AVal av_objectEncoding = AVS("objectEncoding");
static const AVal av_details = AVS("details");
static const AVal av_clientid = AVS("clientid");
static const AVal av_clientidVal = AVS("rtmpe-test");

struct session {
    RTMP *r;
    char app[256], tcurl[512], playpath[512];
    int played, done;
    long tags, bytes;
    const char *flv;
};

static void copy_av(char *dst, size_t n, const AVal *v)
{
    size_t l = v->av_len > 0 ? (size_t)v->av_len : 0;
    if (l >= n)
        l = n - 1;
    if (l)
        memcpy(dst, v->av_val, l);
    dst[l] = 0;
}

/* sends BODY[0..end) as a message of TYPE on CHANNEL / STREAM with timestamp TS */
static int send_msg(RTMP *r, int channel, int type, int stream, uint32_t ts, const char *body,
                    const char *end)
{
    RTMPPacket p;
    int ok;
    if (!RTMPPacket_Alloc(&p, (uint32_t)(end - body)))
        return 0;
    p.m_headerType = RTMP_PACKET_SIZE_LARGE;
    p.m_packetType = (uint8_t)type;
    p.m_nChannel = channel;
    p.m_nTimeStamp = ts;
    p.m_hasAbsTimestamp = 1;
    p.m_nInfoField2 = stream;
    p.m_nBodySize = (uint32_t)(end - body);
    memcpy(p.m_body, body, p.m_nBodySize);
    ok = RTMP_SendPacket(r, &p, FALSE);
    RTMPPacket_Free(&p);
    return ok;
}

static char *status_obj(char *e, char *end, const char *code, const char *desc)
{
    AVal c = { (char *)code, (int)strlen(code) }, d = { (char *)desc, (int)strlen(desc) };
    *e++ = AMF_OBJECT;
    e = AMF_EncodeNamedString(e, end, &av_level, &av_status);
    e = AMF_EncodeNamedString(e, end, &av_code, &c);
    e = AMF_EncodeNamedString(e, end, &av_description, &d);
    e = AMF_EncodeNamedString(e, end, &av_details, &d);
    e = AMF_EncodeNamedString(e, end, &av_clientid, &av_clientidVal);
    if (!e || e + 3 > end)
        return NULL;
    *e++ = 0; *e++ = 0; *e++ = AMF_OBJECT_END;
    return e;
}

static int send_onstatus(RTMP *r, const char *code, const char *desc)
{
    char buf[1024], *end = buf + sizeof buf, *e = buf;
    e = AMF_EncodeString(e, end, &av_onStatus);
    e = AMF_EncodeNumber(e, end, 0);
    if (!e) return 0;
    *e++ = AMF_NULL;
    e = status_obj(e, end, code, desc);
    return e && send_msg(r, 5, 0x14, 1, 0, buf, e);
}

/* _result TXN null|obj ... helpers */
static int send_result_simple(RTMP *r, double txn, int with_number, double number)
{
    char buf[256], *end = buf + sizeof buf, *e = buf;
    e = AMF_EncodeString(e, end, &av_result);
    e = AMF_EncodeNumber(e, end, txn);
    if (!e) return 0;
    *e++ = AMF_NULL;
    if (with_number)
        e = AMF_EncodeNumber(e, end, number);
    return e && send_msg(r, 3, 0x14, 0, 0, buf, e);
}

static int send_connect_result(RTMP *r, double txn)
{
    char buf[1024], *end = buf + sizeof buf, *e = buf;
    AVal code = AVS("NetConnection.Connect.Success"), desc = AVS("Connection succeeded.");
    e = AMF_EncodeString(e, end, &av_result);
    e = AMF_EncodeNumber(e, end, txn);
    if (!e) return 0;
    *e++ = AMF_OBJECT;
    e = AMF_EncodeNamedString(e, end, &av_fmsVer, &av_fmsVerVal);
    e = AMF_EncodeNamedNumber(e, end, &av_capabilities, 31.0);
    e = AMF_EncodeNamedNumber(e, end, &av_mode, 1.0);
    if (!e) return 0;
    *e++ = 0; *e++ = 0; *e++ = AMF_OBJECT_END;
    *e++ = AMF_OBJECT;
    e = AMF_EncodeNamedString(e, end, &av_level, &av_status);
    e = AMF_EncodeNamedString(e, end, &av_code, &code);
    e = AMF_EncodeNamedString(e, end, &av_description, &desc);
    e = AMF_EncodeNamedNumber(e, end, &av_objectEncoding, r->m_fEncoding);
    if (!e) return 0;
    *e++ = 0; *e++ = 0; *e++ = AMF_OBJECT_END;
    return send_msg(r, 3, 0x14, 0, 0, buf, e);
}

static uint32_t be(const unsigned char *p, int n)
{
    uint32_t v = 0;
    while (n--)
        v = (v << 8) | *p++;
    return v;
}

/* every FLV tag of s->flv as one message on stream 1; 1 on success */
static int stream_flv(struct session *s)
{
    FILE *f = fopen(s->flv, "rb");
    unsigned char hdr[11], *buf = NULL;
    size_t cap = 0;
    int ok = 1;
    if (!f) {
        perror(s->flv);
        return 0;
    }
    if (fread(hdr, 1, 9, f) != 9 || memcmp(hdr, "FLV", 3) != 0 ||
        fseek(f, (long)be(hdr + 5, 4) + 4, SEEK_SET) != 0) {
        fprintf(stderr, "%s: not an FLV file\n", s->flv);
        fclose(f);
        return 0;
    }
    while (fread(hdr, 1, 11, f) == 11) {
        uint32_t size = be(hdr + 1, 3), ts = be(hdr + 4, 3) | ((uint32_t)hdr[7] << 24);
        int type = hdr[0] & 0x1f, ch = type == 8 ? 4 : type == 9 ? 6 : 5;
        if (size > cap) {
            unsigned char *nb = realloc(buf, size);
            if (!nb) { ok = 0; break; }
            buf = nb; cap = size;
        }
        if (fread(buf, 1, size, f) != size || fseek(f, 4, SEEK_CUR) != 0) {
            ok = 0;
            break;
        }
        if (type != 8 && type != 9 && type != 18)
            continue;
        if (!send_msg(s->r, ch, type, 1, ts, (char *)buf, (char *)buf + size)) {
            ok = 0;
            break;
        }
        s->tags++;
        s->bytes += size;
    }
    free(buf);
    fclose(f);
    return ok;
}

static int send_play_end(RTMP *r)
{
    char buf[512], *end = buf + sizeof buf, *e = buf;
    e = AMF_EncodeString(e, end, &av_onPlayStatus);
    if (!e) return 0;
    *e++ = AMF_OBJECT;
    {
        AVal code = AVS("NetStream.Play.Complete"), lvl = AVS("status");
        e = AMF_EncodeNamedString(e, end, &av_code, &code);
        e = AMF_EncodeNamedString(e, end, &av_level, &lvl);
    }
    if (!e) return 0;
    *e++ = 0; *e++ = 0; *e++ = AMF_OBJECT_END;
    if (!send_msg(r, 5, 0x12, 1, 0, buf, e))
        return 0;
    return send_onstatus(r, "NetStream.Play.Stop", "Stopped playing.");
}

static void handle_invoke(struct session *s, const char *body, int size)
{
    AMFObject obj;
    AVal method;
    double txn;
    RTMP *r = s->r;
    if (size < 1 || body[0] != AMF_STRING || AMF_Decode(&obj, body, size, FALSE) < 0) {
        fprintf(stderr, "undecodable command\n");
        return;
    }
    AMFProp_GetString(AMF_GetProp(&obj, NULL, 0), &method);
    txn = AMFProp_GetNumber(AMF_GetProp(&obj, NULL, 1));
    if (verbose)
        fprintf(stderr, "server: command %.*s txn %.0f\n", method.av_len, method.av_val, txn);
#define IS(lit) (method.av_len == (int)sizeof(lit) - 1 && !memcmp(method.av_val, lit, sizeof(lit) - 1))
    if (IS("connect")) {
        AMFObject cobj;
        AVal v;
        AMFProp_GetObject(AMF_GetProp(&obj, NULL, 2), &cobj);
        for (int i = 0; i < cobj.o_num; i++) {
            AMFObjectProperty *p = AMF_GetProp(&cobj, NULL, i);
            AVal name;
            AMFProp_GetName(p, &name);
            if (AMFProp_GetType(p) == AMF_NUMBER && name.av_len == 14 &&
                !memcmp(name.av_val, "objectEncoding", 14))
                r->m_fEncoding = AMFProp_GetNumber(p);
            if (AMFProp_GetType(p) != AMF_STRING)
                continue;
            AMFProp_GetString(p, &v);
            if (name.av_len == 3 && !memcmp(name.av_val, "app", 3))
                copy_av(s->app, sizeof s->app, &v);
            else if (name.av_len == 5 && !memcmp(name.av_val, "tcUrl", 5))
                copy_av(s->tcurl, sizeof s->tcurl, &v);
        }
        /* window ack size, peer bandwidth, a 4096-byte chunk size, then the result */
        {
            char b[5], *e;
            e = AMF_EncodeInt32(b, b + 4, 2500000);
            send_msg(r, 2, 0x05, 0, 0, b, e);
            e = AMF_EncodeInt32(b, b + 5, 2500000);
            *e++ = 2;
            send_msg(r, 2, 0x06, 0, 0, b, e);
            e = AMF_EncodeInt32(b, b + 4, 4096);
            if (send_msg(r, 2, 0x01, 0, 0, b, e))
                r->m_outChunkSize = 4096;
        }
        send_connect_result(r, txn);
    } else if (IS("createStream")) {
        send_result_simple(r, txn, 1, 1.0);
    } else if (IS("play")) {
        AVal pp;
        AMFProp_GetString(AMF_GetProp(&obj, NULL, 3), &pp);
        copy_av(s->playpath, sizeof s->playpath, &pp);
        RTMP_SendCtrl(r, 0, 1, 0); /* StreamBegin 1 */
        send_onstatus(r, "NetStream.Play.Reset", "Playing and resetting.");
        send_onstatus(r, "NetStream.Play.Start", "Started playing.");
        s->played = 1;
        if (stream_flv(s) && send_play_end(r))
            s->done = 1;
    } else if (IS("_checkbw") || IS("getStreamLength") || IS("releaseStream") || IS("FCPublish") ||
               IS("FCSubscribe") || IS("FCUnpublish") || IS("FCUnsubscribe")) {
        if (txn > 0)
            send_result_simple(r, txn, IS("getStreamLength"), 0.0);
    } /* deleteStream, closeStream, pause, seek, ...: nothing */
#undef IS
    AMF_Reset(&obj);
}

static int serve(int fd, int n, const char *flv)
{
    struct session s;
    RTMPPacket pk;
    int ok, level = RTMP_LogGetLevel();
    time_t end_by;
    memset(&s, 0, sizeof s);
    memset(&pk, 0, sizeof pk);
    s.flv = flv;
    s.r = RTMP_Alloc();
    RTMP_Init(s.r);
    s.r->m_sb.sb_socket = fd;
    seen_req = seen_ans = -1;
    RTMP_LogSetLevel(RTMP_LOGDEBUG);
    ok = RTMP_Serve(s.r);
    RTMP_LogSetLevel(level);
    printf("conn %d: handshake %s", n, ok ? "ok" : "FAILED");
    if (seen_req >= 0) printf(" requested=%02X", seen_req & 0xff); else printf(" requested=-");
    if (seen_ans >= 0) printf(" answered=%02X", seen_ans & 0xff); else printf(" answered=-");
    printf(" enc=%d", (s.r->Link.protocol & RTMP_FEATURE_ENC) ? 1 : 0);
    end_by = time(NULL) + 30;
    while (ok && RTMP_IsConnected(s.r) && time(NULL) < end_by && RTMP_ReadPacket(s.r, &pk)) {
        if (!RTMPPacket_IsReady(&pk))
            continue;
        if (pk.m_packetType == 0x01 && pk.m_nBodySize >= 4)
            s.r->m_inChunkSize = (int)AMF_DecodeInt32(pk.m_body);
        else if (pk.m_packetType == 0x14)
            handle_invoke(&s, pk.m_body, (int)pk.m_nBodySize);
        else if (pk.m_packetType == 0x11 && pk.m_nBodySize > 1)
            handle_invoke(&s, pk.m_body + 1, (int)pk.m_nBodySize - 1);
        RTMPPacket_Free(&pk);
        if (s.done) {
            /* the client closes after Play.Stop; give it a few seconds */
            struct timeval tv = { 3, 0 };
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            end_by = time(NULL) + 5;
        }
    }
    RTMPPacket_Free(&pk);
    printf(" app=%s tcUrl=%s play=%s tags=%ld bytes=%ld%s\n", s.app, s.tcurl, s.playpath, s.tags,
           s.bytes, s.done ? "" : " (not streamed)");
    fflush(stdout);
    RTMP_Close(s.r);
    RTMP_Free(s.r);
    return ok && s.done;
}

int main(int argc, char **argv)
{
    int port, conns = 1, ls, one = 1, failures = 0;
    const char *flv;
    struct sockaddr_in sa;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-v")) {
            verbose = 1;
            for (int j = i; j < argc - 1; j++)
                argv[j] = argv[j + 1];
            argc--;
            i--;
        }
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT FLV [CONNECTIONS] [-v]\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    flv = argv[2];
    if (argc > 3)
        conns = atoi(argv[3]);
    signal(SIGPIPE, SIG_IGN);
    RTMP_LogSetCallback(log_cb);
    RTMP_LogSetLevel(verbose ? RTMP_LOGINFO : RTMP_LOGERROR);

    ls = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 4) < 0) {
        perror("listen");
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", port);
    fflush(stdout);
    for (int n = 1; n <= conns; n++) {
        int fd = accept(ls, NULL, NULL);
        struct timeval tv = { 10, 0 };
        if (fd < 0) {
            perror("accept");
            return 1;
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (!serve(fd, n, flv))
            failures++;
    }
    close(ls);
    return failures ? 1 : 0;
}
