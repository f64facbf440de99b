/* Differential test of session setup: RTMP_ParseURL, RTMP_ParsePlaypath, RTMP_SetupURL,
 * RTMP_SetOpt and RTMP_SetupStream must give the same results and log the same text on our
 * library and on librtmp 2.4.
 *
 * Every output field is printed: AVals that point into the caller's buffer as their offset
 * from its start, allocated ones by content, the edited URL buffer byte by byte, the conn=
 * property tree, the numeric Link fields and the log (RTMP_LogSetOutput(stdout), DEBUG).
 * Inputs come from fixed lists (the reference probes and the documented quirks) and from a
 * deterministic generator. Inputs on which the reference reads uninitialised or foreign
 * memory (a %XX or \XX escape that does not convert, swfVfy with a swfUrl (network), a '?' in
 * the first four characters of a stand-alone play path) and bracketed IPv6 literals (where we
 * deviate on purpose) are left out on both sides; test_url.c covers them on our library. */
#include <ctype.h>
#include <stdint.h>
#include <strings.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

#define PAD 16

static long cases;

/* ---- printing ------------------------------------------------------------------------ */

static void put_bytes(const char *p, long n)
{
    long i;
    putchar('"');
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('"');
}

/* base/size: the caller's buffer (AVals inside it are printed as offsets). */
static void pav(const char *name, const AVal *a, const char *base, size_t size)
{
    printf("  %s=", name);
    if (!a->av_val) {
        printf("NULL/%d\n", a->av_len);
        return;
    }
    if (base && a->av_val >= base && a->av_val < base + size)
        printf("@%ld/%d ", (long)(a->av_val - base), a->av_len);
    else
        printf("new/%d ", a->av_len);
    put_bytes(a->av_val, a->av_len > 0 ? a->av_len : 0);
    putchar('\n');
}

/* Where a pointer lies: its offset in the caller's buffer, or -1 outside it. */
static long where(const char *p, const char *base, size_t size)
{
    return base && p >= base && p < base + size ? (long)(p - base) : -1L;
}

static void print_object(const AMFObject *o, const char *base, size_t size, int indent)
{
    int i;
    for (i = 0; i < o->o_num; i++) {
        const AMFObjectProperty *p = &o->o_props[i];
        printf("  %*sprop[%d] type=%d", indent, "", i, (int)p->p_type);
        if (p->p_name.av_val) {
            printf(" name@%ld/%d=", where(p->p_name.av_val, base, size), p->p_name.av_len);
            put_bytes(p->p_name.av_val, p->p_name.av_len);
        }
        switch (p->p_type) {
        case AMF_NUMBER:
        case AMF_BOOLEAN:
            printf(" num=%.17g", p->p_vu.p_number);
            break;
        case AMF_STRING:
            printf(" str@%ld/%d=", where(p->p_vu.p_aval.av_val, base, size),
                   p->p_vu.p_aval.av_len);
            put_bytes(p->p_vu.p_aval.av_val, p->p_vu.p_aval.av_len);
            break;
        case AMF_OBJECT:
            printf(" object n=%d", p->p_vu.p_object.o_num);
            break;
        default:
            break;
        }
        printf(" utc=%d\n", p->p_UTCoffset);
        if (p->p_type == AMF_OBJECT)
            print_object(&p->p_vu.p_object, base, size, indent + 2);
    }
}

static void free_object(AMFObject *o)
{
    int i;
    for (i = 0; i < o->o_num; i++)
        if (o->o_props[i].p_type == AMF_OBJECT)
            free_object(&o->o_props[i].p_vu.p_object);
    free(o->o_props);
    o->o_props = NULL;
    o->o_num = 0;
}

static void print_link(RTMP *r, const char *base, size_t size)
{
    RTMP_LNK *l = &r->Link;
    printf("  protocol=%d port=%u socksport=%u lFlags=0x%x edepth=%d seek=%d stop=%d swfAge=%d "
           "timeout=%d pFlags=%d bufferMS=%d SWFSize=%u extras.o_num=%d\n",
           l->protocol, l->port, l->socksport, l->lFlags, l->edepth, l->seekTime, l->stopTime,
           l->swfAge, l->timeout, l->pFlags, r->m_nBufferMS, l->SWFSize, l->extras.o_num);
    pav("hostname", &l->hostname, base, size);
    pav("sockshost", &l->sockshost, base, size);
    pav("playpath0", &l->playpath0, base, size);
    pav("playpath", &l->playpath, base, size);
    pav("tcUrl", &l->tcUrl, base, size);
    pav("swfUrl", &l->swfUrl, base, size);
    pav("pageUrl", &l->pageUrl, base, size);
    pav("app", &l->app, base, size);
    pav("auth", &l->auth, base, size);
    pav("flashVer", &l->flashVer, base, size);
    pav("subscribepath", &l->subscribepath, base, size);
    pav("usherToken", &l->usherToken, base, size);
    pav("token", &l->token, base, size);
    pav("pubUser", &l->pubUser, base, size);
    pav("pubPasswd", &l->pubPasswd, base, size);
    if (l->SWFSize) {
        int i;
        printf("  SWFHash=");
        for (i = 0; i < RTMP_SWF_HASHLEN; i++)
            printf("%02x", l->SWFHash[i]);
        putchar('\n');
    }
    print_object(&l->extras, base, size, 0);
}

/* Frees what the API leaves to the caller (RTMP_Close's share, done by hand here so that the
 * test does not depend on it): playpath0, a generated tcUrl, the SOCKS host copy, extras. */
static void release(RTMP *r, const char *base, size_t size)
{
    RTMP_LNK *l = &r->Link;
    free(l->playpath0.av_val);
    if (l->lFlags & RTMP_LF_FTCU)
        free(l->tcUrl.av_val);
    if (l->sockshost.av_val && !(l->sockshost.av_val >= base && l->sockshost.av_val < base + size))
        free(l->sockshost.av_val);
    free_object(&l->extras);
    RTMP_Free(r);
}

/* ---- filters: inputs that are not deterministic on the reference, or deviate ----------- */

/* Does the escape at p (its character is p[0]) convert?  Read as sscanf sees it: up to the end
 * of the token (stop) or the string. */
static int escape_converts(const char *p, int stop)
{
    char tmp[64];
    size_t n = 0;
    unsigned int c;
    p++;
    while (p[n] && p[n] != stop && n < sizeof tmp - 1) {
        tmp[n] = p[n];
        n++;
    }
    tmp[n] = 0;
    return sscanf(tmp, "%02x", &c) == 1;
}

static int parseurl_input_ok(const char *u)
{
    const char *p;
    for (p = u; *p; p++)
        if (*p == '%' && !escape_converts(p, 0))
            return 0;
    return strchr(u, '[') == NULL;
}

static int setupurl_input_ok(const char *u)
{
    const char *p, *sp = strchr(u, ' ');
    size_t urllen = sp ? (size_t)(sp - u) : strlen(u);
    char lower[4096];
    size_t i;
    for (p = u; *p; p++) {
        if (*p == '%' && (size_t)(p - u) < urllen && !escape_converts(p, ' '))
            return 0;
        if (*p == '\\') {
            const char *end = strchr(p, ' ');
            long left = end ? end - p : (long)strlen(p);
            if (left >= 3 && !escape_converts(p, ' '))
                return 0;
        }
    }
    for (i = 0; u[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)tolower((unsigned char)u[i]);
    lower[i] = 0;
    if (strstr(lower, "swfvfy=") && strstr(lower, "swfurl="))
        return 0;
    return strchr(u, '[') == NULL;
}

/* The reference probes the 4 bytes before a '?' for the extension, even before the string. */
static int playpath_input_ok(const char *s)
{
    const char *start = s, *q, *p;
    if (s[0] == '?' && (q = strstr(s, "slist=")) != NULL)
        start = q + 6;
    q = strchr(start, '?');
    if (q && q - start < 4)
        return 0;
    for (p = s; *p; p++)
        if (*p == '%' && !escape_converts(p, 0))
            return 0;
    return 1;
}

/* ---- the calls ---------------------------------------------------------------------------- */

static void do_parseurl(const char *u)
{
    size_t n = strlen(u);
    char *buf;
    int proto = -5, ok;
    unsigned int port = 7;
    AVal host = {NULL, -7}, pp = {(char *)"x", 1}, app = {(char *)"y", 1};
    if (!parseurl_input_ok(u))
        return;
    cases++;
    buf = calloc(1, n + PAD);
    memcpy(buf, u, n);
    printf("== ParseURL ");
    put_bytes(u, (long)n);
    putchar('\n');
    ok = RTMP_ParseURL(buf, &proto, &host, &port, &pp, &app);
    printf("  ret=%d proto=%d port=%u\n", ok, proto, port);
    pav("host", &host, buf, n + PAD);
    pav("app", &app, buf, n + PAD);
    pav("playpath", &pp, buf, n + PAD);
    free(pp.av_val);
    free(buf);
}

static void do_setupurl(const char *u)
{
    size_t n = strlen(u);
    char *buf;
    RTMP *r;
    int ok;
    if (!setupurl_input_ok(u))
        return;
    cases++;
    buf = calloc(1, n + PAD);
    memcpy(buf, u, n);
    printf("== SetupURL ");
    put_bytes(u, (long)n);
    putchar('\n');
    r = RTMP_Alloc();
    RTMP_Init(r);
    ok = RTMP_SetupURL(r, buf);
    printf("  ret=%d buffer=", ok);
    put_bytes(buf, (long)n + 1);
    putchar('\n');
    print_link(r, buf, n + PAD);
    release(r, buf, n + PAD);
    free(buf);
}

static void do_playpath(const char *s)
{
    AVal in, out = {(char *)"z", 1};
    if (!playpath_input_ok(s))
        return;
    cases++;
    in.av_val = (char *)s;
    in.av_len = (int)strlen(s);
    printf("== ParsePlaypath ");
    put_bytes(s, in.av_len);
    putchar('\n');
    RTMP_ParsePlaypath(&in, &out);
    pav("out", &out, NULL, 0);
    free(out.av_val);
}

/* SetOpt calls on one handle: pairs name, value; NULL ends. */
static void do_setopts(const char *const *pairs)
{
    RTMP *r = RTMP_Alloc();
    char arena[2048];
    size_t used = 0;
    int i;
    cases++;
    memset(arena, 0, sizeof arena);
    RTMP_Init(r);
    printf("== SetOpt sequence\n");
    for (i = 0; pairs[i]; i += 2) {
        AVal opt, arg;
        size_t ln = strlen(pairs[i]), lv = strlen(pairs[i + 1]);
        opt.av_val = arena + used;
        memcpy(opt.av_val, pairs[i], ln);
        opt.av_len = (int)ln;
        used += ln + 1;
        arg.av_val = arena + used;
        memcpy(arg.av_val, pairs[i + 1], lv);
        arg.av_len = (int)lv;
        used += lv + 1;
        printf("  SetOpt(");
        put_bytes(pairs[i], (long)ln);
        putchar(',');
        put_bytes(pairs[i + 1], (long)lv);
        printf(") = %d\n", RTMP_SetOpt(r, &opt, &arg));
    }
    print_link(r, arena, sizeof arena);
    free_object(&r->Link.extras);
    RTMP_Free(r);
}

#define AV(s) {(char *)(s), (int)sizeof(s) - 1}

static void do_setupstream(int protocol, AVal *host, unsigned int port, AVal *socks, AVal *pp,
                           AVal *tc, AVal *swf, AVal *page, AVal *app, AVal *auth, AVal *hash,
                           uint32_t swfSize, AVal *fv, AVal *sub, AVal *ush, int start, int stop,
                           int live, long timeout)
{
    RTMP *r = RTMP_Alloc();
    cases++;
    RTMP_Init(r);
    printf("== SetupStream protocol=%d port=%u\n", protocol, port);
    RTMP_SetupStream(r, protocol, host, port, socks, pp, tc, swf, page, app, auth, hash, swfSize,
                     fv, sub, ush, start, stop, live, timeout);
    print_link(r, NULL, 0);
    free(r->Link.sockshost.av_val);
    RTMP_Free(r);
}

/* SetOpt before SetupURL (rtmpsuck-style), SetOpt after it (Kodi-style). */
static void mixed_cases(void)
{
    static const char *urls[] = {"rtmp://h/app/s", "rtmp://h/app/s socks=q:5 tcUrl=x",
                                 "rtmpt://h:81 app=a", "bad"};
    size_t i;
    for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        char opts[] = "socks\0p:77\0tcUrl\0rtmp://pre/x\0live\0yes\0playpath\0pp.mp4\0conn\0S:a";
        size_t n = strlen(urls[i]);
        char *buf = calloc(1, n + PAD);
        AVal socks = {opts + 6, 4}, tc = {opts + 17, 12}, live = {opts + 35, 3}, pp = {opts + 48, 6};
        AVal n_socks = {opts, 5}, n_tc = {opts + 11, 5}, n_live = {opts + 30, 4},
             n_pp = {opts + 39, 8}, n_conn = {opts + 55, 4}, conn = {opts + 60, 3};
        RTMP *r = RTMP_Alloc();
        cases++;
        memcpy(buf, urls[i], n);
        RTMP_Init(r);
        printf("== SetOpt + SetupURL + SetOpt ");
        put_bytes(urls[i], (long)n);
        putchar('\n');
        if (i % 2 == 0) {
            printf("  pre socks=%d", RTMP_SetOpt(r, &n_socks, &socks));
            printf(" tcUrl=%d\n", RTMP_SetOpt(r, &n_tc, &tc));
        }
        printf("  SetupURL=%d\n", RTMP_SetupURL(r, buf));
        printf("  post live=%d", RTMP_SetOpt(r, &n_live, &live));
        printf(" playpath=%d", RTMP_SetOpt(r, &n_pp, &pp));
        printf(" conn=%d\n", RTMP_SetOpt(r, &n_conn, &conn));
        print_link(r, buf, n + PAD);
        release(r, buf, n + PAD);
        free(buf);
    }
}

static void setupstream_cases(void)
{
    AVal host = AV("hostx"), socks = AV("sh:1234"), pp = AV("mp4:x"), tc = AV("rtmp://h/a"),
         swf = AV("http://s"), page = AV("http://p"), app = AV("app/inst"), auth = AV("au"),
         hash = AV("0123456789abcdef0123456789abcdef"), fv = AV("WIN 1"), sub = AV("sub"),
         ush = AV("ush"), e = {NULL, 0}, empty = AV(""), s2 = AV("proxy"), s3 = AV("p:70000"),
         s4 = AV(":"), pnull = {NULL, 0}, appcut = {(char *)"application", 3};
    int protos[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 13, -1, 16};
    unsigned int ports[] = {0, 1935, 70000, 65536, 4294967295u};
    size_t i;

    do_setupstream(13, &host, 70000, &socks, &pp, &tc, &swf, &page, &app, &auth, &hash, 77, &fv,
                   &sub, &ush, 5, 6, 1, 99L);
    do_setupstream(2, &e, 0, &e, &pnull, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL,
                   0, -1, 0, -5L);
    do_setupstream(0, &empty, 0, &empty, &empty, &empty, &empty, &empty, &empty, &empty, &empty,
                   3, &empty, &empty, &empty, -1, 0, 7, 1L << 33);
    do_setupstream(1, &host, 0, &s2, &pp, &e, &e, &e, &appcut, &e, &hash, 0, &e, &e, &e, 1, 1, 0,
                   30L);
    do_setupstream(4, &host, 0, &s3, &pp, NULL, NULL, NULL, NULL, NULL, NULL, 9, NULL, NULL, NULL,
                   0, 0, 0, 0L);
    do_setupstream(8, &host, 0, &s4, &pp, NULL, NULL, NULL, NULL, &auth, NULL, 0, NULL, NULL, NULL,
                   0, 0, 0, 0L);
    for (i = 0; i < sizeof protos / sizeof protos[0]; i++)
        do_setupstream(protos[i], &host, ports[i % 5], &e, &pp, NULL, NULL, NULL, NULL, NULL, NULL,
                       0, NULL, NULL, NULL, 0, 0, 0, 120L);
}

/* ---- inputs ------------------------------------------------------------------------------- */

static const char *fixed_urls[] = {
    "rtmp://host/app/play.mp4", "rtmp://host:1936/app/inst/mp4:file.mp4",
    "RTMPE://host/ondemand/foo/bar.flv", "rtmp://host/app?slist=abc.mp4&x=1", "rtmp://host",
    "rtmpt://host/app/", "foo://host/app/x.flv", "rtmp://host/a/b/c/d/e.flv",
    "rtmp://host/app/x.mp3", "rtmp://host/app/mp4:x.f4v", "rtmp://host/app/a%20b.flv?q=1",
    "rtmp://host:99999/app/s", "rtmps://h/app/s", "rtmpts://h/app/s", "rtmfp://h/app/s",
    "rtmp://host/app/stream", "rtmpt://host/app/s", "xx", "rtmp://", "RTMPTE://h:12/a",
    "rtmp://h/app?x/slist=a.flv", "rtmp://h", "rtmp://h:0x10/app/x", "rtmp://h/OnDemand/x/y.flv",
    "rtmp://h/ondemand/x/y.flv", "rtmp://h/ondemand", "rtmp://h/ondemand/", "rtmp://h/a?slist=x.mp4",
    "rtmp://h?x/app/slist=1", "rtmp://h/slist=.mp4?bcd", "rtmp://h//x", "rtmp://h/app/a%41%4g%20%2f",
    "rtmp://h:-1/a", "rtmp://h:4294967297/a/b", "rtmp://:5/a", "rtmp:///", "rtmp://h:/a",
    "rtmp://h/app/x.mp4?a.flv", "rtmp://h/app/?slist=x.f4v&y", "rtmp://h/app/x?slist=a.mp4",
    "rtmp://h/app/mp3:y.mp3", "rtmp://h/app/%6d%70%34:y.mp4", "rtmp://h/app/y.mp4%3fz",
    "rtmp://h/a/b/c/d/e/f/g.flv", "rtmp://h/a%2fb/c", "rtmp://h/app/x.MP4", "rtmp://h/app/.mp4",
    "rtmp://h/app/mp4", "rtmp://h/app/x.f4v?", "rtmp://h:1935", "rtmp://h:1935/", "rtmp://h/app/x% 41",
    "rtmp://h/app/x%-1y", "rtmp://h/app/x%0xz", "rtmp://h/app/x%+5z", "rtmp://h/app/x%\t4fz",
    "rtmp://h/app/x.flv&slist=y", "rtmp://h/app?slist=", "rtmp://h/app?slist=a&b.mp4",
    "rtmp://h/app?slist=ab?c.mp4", "rtmp://h/app?q=slist=ab.mp3", ":///", "a://b", "rtmp:/h/a",
    "rtmp://h\t/a/b", "rtmp://h:80:90/a/b", "rtmp://h/app/x.mp3?slist=z.flv", NULL,
};

static const char *fixed_setups[] = {
    "rtmp://host/app/stream live=1 buffer=5000 app=other tcUrl=rtmp://x/y",
    "rtmp://host/app/stream conn=B:1 conn=S:hi\\20there conn=O:1 conn=NN:n:1.5 conn=O:0 "
    "flashver=WIN\\2011,1",
    "rtmp://host/app/s bogus=1", "rtmp://host:1999 app=a playpath=p",
    "rtmp://h/app/s socks=sh:99 live=\\31 buffer=\\31\\30 conn=NO:x:0",
    "rtmp://h/app/s conn=O:1 conn=NO:x:0 conn=O:5 conn=NZ:a:", "rtmp://h/app/s conn=O:0 conn=NB:a:1",
    "rtmp://h/app/s  live=1", "rtmp://h:0x10 app=a", "rtmp://h/app/s live=1  start=5 stop",
    "rtmp://h/a/s conn=O:1 conn=NO:x:0", "rtmp://h/a/s conn=O:", "rtmp://h/a/s live=On playlist=TRUE swfVfy=yes",
    "rtmp://h/a/s live=0n", "rtmp://h/a/s buffer=0x10 timeout=010 start=-7 stop=99999999999",
    "rtmp://h/a/s pageUrl=x\\2", "rtmp://h/a/s conn=NB:a", "rtmp://h/a/s conn=", "rtmp://h/a/s conn= live=1",
    "rtmp://h/a/s conn=N :x:S:hi", "rtmp://h/a/s conn=\\53:x", "rtmp://h/a/s conn=NS:a\\3ab",
    "rtmp://h/a/s socks=proxy", "rtmp://h/a/s socks=proxy:70000", "rtmp://h/a/s socks=p\\3a12",
    "rtmp://h/a/s socks=", "rtmpe://h app=x", "rtmps://h app=x", "rtmpt://h app=x", "rtmpte://h:5 app=x",
    "rtmp://h app=", "rtmp://h/a tcUrl=", "rtmp://h/a tcUrl=t app=zz", "rtmp:// app=x", "nourl app=x",
    "rtmp://h/a/s swfVfy=1", "rtmp://h/a/s swfUrl=http://x/y.swf pageUrl=http://p/ swfAge=3",
    "rtmp://h/a/s a b=c", "rtmp://h/a/s x", "rtmp://h/a/s =v", "rtmp://h/a/s live=1 ",
    "rtmp://h/a/s live=1   ", "rtmp://h/a/s live=1 \\", "rtmp://h/a/s token=abc jtv=u subscribe=sp",
    "rtmp://h/a/s pubUser=u pubPasswd=p\\21", "rtmp://h/a/s playpath=mp4:x.mp4 playlist=1",
    "rtmp://h/a/s conn=N:1e400 conn=N:-0 conn=N:nan conn=N:0x1p3 conn=N:  7 conn=B:-3 conn=B:x",
    "rtmp://h/a/s conn=S: conn=S:a:b conn=Z:anything conn=Z: conn=O:1 conn=NS:k: conn=NN:k:",
    "rtmp://h/a/s conn=O:1 conn=O:1 conn=O:1 conn=S:deep conn=O:0 conn=S:mid conn=O:0 conn=O:0 conn=S:top",
    "rtmp://h/a/s conn=O:1 conn=NB:a:1 conn=NB:b:0 conn=NO:o:1 conn=NS:s:v conn=O:0 conn=O:0",
    "rtmp://h/a/s conn=O:0 conn=O:0 conn=NS:x:y conn=O:1 conn=S:z", "rtmp://h/a/s conn=X:1",
    "rtmp://h/a/s conn=B", "rtmp://h/a/s conn=:S", "rtmp://h/a/s conn=NX:a:1", "rtmp://h/a/s conn=O:-1 conn=S:in",
    "rtmp://h/a/s flashver=LNX\\2010,0,32,18 swfAge=0x7fffffff timeout=-1",
    "rtmp://h/a/s live=\\54rue live=yes", "rtmp://h/a/s buffer= timeout=abc swfAge=12abc",
    "rtmp://h/a/s LIVE=TRUE Live=1 PLAYPATH=x TCURL=y FLASHVER=z CONN=S:c SOCKS=s:1",
    "rtmp://h/a/s livex=1", "rtmp://h/a/s liv=1", "rtmp://h/a/s \\6cive=1", "rtmp://h/a/s app=\\20",
    NULL,
};

static const char *seq1[] = {"live", "1", "LiVe", "0", "buffer", "0x20", "app", "a/b", "tcUrl",
                             "rtmp://t/a", "conn", "O:1", "conn", "NS:k:v", "conn", "O:0", "conn",
                             "B:1", "flashver", "X 1", NULL};
static const char *seq2[] = {"bogus", "1", NULL};
static const char *seq3[] = {"conn", "NB:a:1", "conn", "Q:1", "playlist", "on", "swfVfy", "TRUE",
                             "swfAge", "-3", "start", "1000", "stop", "2000", "timeout", "07",
                             "socks", "h:9", "subscribe", "s", "jtv", "j", "token", "t", "pubUser",
                             "u", "pubPasswd", "p", "pageUrl", "pg", "swfUrl", "sw", "playpath", "pp",
                             NULL};
static const char *seq4[] = {"conn", "O:0", "conn", "NN:x:1", "conn", "O:1", "conn", "O:1", "conn",
                             "S:x", "conn", "O:0", "conn", "S:y", NULL};
static const char *seq5[] = {"", "", "app", "", "live", "", NULL};
static const char *const *sequences[] = {seq1, seq2, seq3, seq4, seq5, NULL};

static const char *playpaths[] = {
    "play.mp4", "x.f4v", "mp4:x.f4v", "x.mp3", "mp3:x.mp3", "a/b.flv", "b.FLV", "a%20b.flv?q=1",
    "?slist=abc.mp4&x=1", "?slist=abc.flv", "flv", "", "abcd", "abcd?efgh", "name.mp4?x.flv",
    "?slist=", "?x&slist=a.mp3", "%41%42.mp4", "x.mp4%", "a%2", ".mp4", ".flv", "mp4:", "mp4:.mp4",
    "%6dp4:x.mp4", "?slist=abcdefgh?x.mp4", NULL,
};

/* ---- generator ---------------------------------------------------------------------------- */

static uint32_t rng = 0x12345678u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}
#define PICK(a) (a[next_rand() % (sizeof(a) / sizeof(a[0]))])

static const char *g_schemes[] = {"rtmp", "RTMP", "rtmpt", "RtmpT", "rtmpe", "rtmps", "rtmpte",
                                  "RTMPTS", "rtmfp", "foo", "", "rtmpx", "rtmptee"};
static const char *g_seps[] = {"://", "://", "://", "://", "://", "://", ":/", "//"};
static const char *g_hosts[] = {"host", "h", "", "a.b.c", "h?x", "127.0.0.1", "x-y.example.com",
                                "h%20", "[x]"};
static const char *g_ports[] = {"", "", "", ":1935", ":0", ":99999", ":-1", ":0x10", ":",
                                ":4294967297", ":80abc", ":65535", ":65536"};
static const char *g_segs[] = {"app", "live", "ondemand", "OnDemand", "mp4:dir", "a%20b", "",
                               "vod", "x.flv", "slist=q", "a.mp4"};
static const char *g_names[] = {"stream", "s", "mp4:movie", "mp3:song", "a%41b", "%2f", "x%4g",
                                "q%-1", "", "abc"};
static const char *g_exts[] = {"", "", ".flv", ".mp4", ".f4v", ".mp3", ".FLV", ".mp4.flv"};
static const char *g_queries[] = {"", "", "", "?a=b", "?slist=x.mp4&y=1", "?slist=abc.flv",
                                  "?x=slist=", "?", "?slist=a.mp3", "?q.mp4"};

static const char *g_optnames[] = {
    "socks", "app", "tcUrl", "TCURL", "pageUrl", "swfUrl", "flashver", "flashVer", "conn", "CONN",
    "playpath", "playlist", "live", "Live", "subscribe", "jtv", "token", "swfVfy", "swfAge", "start",
    "stop", "buffer", "BUFFER", "timeout", "pubUser", "pubPasswd", "bogus", "liv", "lives", ""};
static const char *g_vals[] = {"1", "0", "on", "ON", "yes", "true", "TRUE", "no", "", "\\31",
                               "0x10", "010", "-5", "abc", "99999999999", "\\31\\30", "x", "a\\20b",
                               "\\5c", "http://x/y", "h:1080", "h", "12abc", "\\"};
static const char *g_conns[] = {"B:1", "B:0", "S:hi", "S:a\\20b", "N:1.5", "N:-2e3", "N:0x10",
                                "N:inf", "Z:", "O:1", "O:0", "O:2", "NB:a:1", "NS:s:str", "NN:n:3",
                                "NO:o:1", "NZ:z:", "X:1", "B", "", "NB:a", "S:", "NS:k:"};

static void gen_url(char *out, size_t cap)
{
    int segs = (int)(next_rand() % 5), i;
    size_t n;
    n = (size_t)snprintf(out, cap, "%s%s%s%s", PICK(g_schemes), PICK(g_seps), PICK(g_hosts),
                         PICK(g_ports));
    for (i = 0; i < segs && n < cap - 64; i++)
        n += (size_t)snprintf(out + n, cap - n, "/%s", PICK(g_segs));
    if (next_rand() % 4 && n < cap - 64)
        n += (size_t)snprintf(out + n, cap - n, "/%s%s%s", PICK(g_names), PICK(g_exts),
                              PICK(g_queries));
    if (next_rand() % 8 == 0 && n < cap - 2)
        snprintf(out + n, cap - n, "/");
}

static void gen_setup(char *out, size_t cap)
{
    int opts = (int)(next_rand() % 5), i;
    size_t n;
    gen_url(out, cap);
    n = strlen(out);
    for (i = 0; i < opts && n < cap - 64; i++) {
        const char *name = PICK(g_optnames);
        const char *val = strcasecmp(name, "conn") == 0 ? PICK(g_conns) : PICK(g_vals);
        const char *sep = next_rand() % 6 == 0 ? "  " : " ";
        if (next_rand() % 20 == 0)
            n += (size_t)snprintf(out + n, cap - n, "%sjunk", sep);
        else
            n += (size_t)snprintf(out + n, cap - n, "%s%s=%s", sep, name, val);
    }
}

/* Token soup: short random strings over the characters and words the parser reacts to. */
static const char *g_tokens[] = {
    "rtmp", "RTMPE", "://", "://", "/", "/", "/", "?", "slist=", "&", "%", "41", "2", "g", ".flv",
    ".mp4", ".mp3", ".f4v", "mp4:", "mp3:", "ondemand/", ":", "1935", " ", " ", "  ", "=", "live",
    "conn", "O:1", "O:0", "NS:", "NB:", "S:", "B:", "N:", "Z:", ":x", "\\", "20", "5c", "app", "h",
    ".", "socks", "tcUrl", "buffer", "0x", "-", "\t", "?slist=", "app=", "playpath="};

static void gen_soup(char *out, size_t cap)
{
    int n = 1 + (int)(next_rand() % 14), i;
    size_t len = 0;
    out[0] = 0;
    if (next_rand() % 2)
        len += (size_t)snprintf(out, cap, "rtmp://h/");
    for (i = 0; i < n && len < cap - 32; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s", PICK(g_tokens));
}

int main(void)
{
    char buf[1024], longhost[400];
    int i;
    RTMP_LogSetOutput(stdout);
    RTMP_LogSetLevel(RTMP_LOGDEBUG);

    for (i = 0; fixed_urls[i]; i++) {
        do_parseurl(fixed_urls[i]);
        do_setupurl(fixed_urls[i]);
    }
    memset(longhost, 0, sizeof longhost);
    strcpy(longhost, "rtmp://");
    memset(longhost + 7, 'h', 300);
    strcat(longhost, "/app/x");
    do_parseurl(longhost);
    do_setupurl(longhost);
    longhost[7 + 255] = '/';
    do_parseurl(longhost);
    longhost[7 + 255] = 'h';
    longhost[7 + 256] = '/';
    do_parseurl(longhost);
    strcpy(buf, longhost);
    strcat(buf, " app=z");
    do_setupurl(buf);

    for (i = 0; fixed_setups[i]; i++)
        do_setupurl(fixed_setups[i]);
    for (i = 0; playpaths[i]; i++)
        do_playpath(playpaths[i]);
    for (i = 0; sequences[i]; i++)
        do_setopts(sequences[i]);
    setupstream_cases();
    mixed_cases();

    for (i = 0; i < 700; i++) {
        gen_url(buf, sizeof buf);
        do_parseurl(buf);
        gen_url(buf, sizeof buf);
        do_playpath(strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf);
    }
    for (i = 0; i < 900; i++) {
        gen_setup(buf, sizeof buf);
        do_setupurl(buf);
    }
    for (i = 0; i < 1500; i++) {
        gen_soup(buf, sizeof buf);
        do_parseurl(buf);
        do_playpath(buf);
        do_setupurl(buf);
    }
    fprintf(stderr, "diff_url: %ld cases\n", cases);
    return 0;
}
