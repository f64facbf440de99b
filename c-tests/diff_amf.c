/* Differential test of the AMF API (amf.h): run once on our library and once on the system
 * librtmp 2.4; stdout/stderr/exit code must be identical (see run-diffs.sh).
 *
 * Sections:
 *   default-log   dumps through the default logger (DEBUG hides "no-name", ALL shows it)
 *   primitives    every encoder at every window size, the fixed-size decoders, AMF3 readers
 *   api           AddProp/GetProp/Count/Reset/accessors/SetName, AMF3CD_*, object encoders
 *   corpus        real AMF (ffmpeg onMetaData, librtmp's connect, server replies, AMF3, CVE
 *                 shapes): every decoder, structures, pointer offsets into the input, logs at
 *                 ALL level, dumps, re-encoding
 *   trees         random trees of every AMF0 type built with AMF_AddProp: encode (full and
 *                 short windows), decode, dump
 *   mutations     random byte mutations of the corpus and of encoded trees fed to AMF_Decode
 *                 (named/unnamed), AMFProp_Decode, AMF3_Decode and AMF3Prop_Decode
 *
 * Mutated inputs may make the reference read outside the input, read uninitialised memory or
 * crash. Each mutated input is therefore first classified with a private copy of the system
 * librtmp loaded with dlmopen() (the same on both sides): in a child process, with the input
 * ending at a PROT_NONE page, twice with different stack contents. Only inputs on which the
 * reference is clean are compared; for the others both sides print the classification and our
 * library must merely not crash (test_amf_hostile.c checks our results on such inputs).
 * Set AMF_DIFF_VERBOSE=1 to print every case in full instead of one digest line per case. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "librtmp/amf.h"
#include "librtmp/log.h"
#include "common.h"
#include "data/amf_corpus.h"

/* exported by librtmp but not declared in amf.h */
int AMF3ReadInteger(const char *data, int32_t *valp);
int AMF3ReadString(const char *data, AVal *str);

#define N_TREES 1500
#define N_MUTATIONS 3000
#define MAX_INPUT 16384

/* ---- text accumulation --------------------------------------------------------------------- */

static char *tb;
static size_t tb_len, tb_cap;
static int verbose;

static void out(const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(tb + tb_len, tb_cap - tb_len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < tb_cap - tb_len) {
            tb_len += (size_t)n;
            return;
        }
        tb_cap = tb_cap * 2 + (size_t)(n > 0 ? n : 0) + 4096;
        tb = realloc(tb, tb_cap);
    }
}

static uint64_t fnv(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL;
    while (n--)
        h = (h ^ *b++) * 1099511628211ULL;
    return h;
}

/* Prints the accumulated text (full, or as a digest line) and clears it. */
static void flush_case(const char *label, int full)
{
    if (full || verbose)
        fwrite(tb, 1, tb_len, stdout);
    else
        printf("%s %016llx\n", label, (unsigned long long)fnv(tb, tb_len));
    tb_len = 0;
    if (tb)
        tb[0] = 0;
}

/* ---- logging: everything the library logs goes into the case text ----------------------------- */

static void log_cb(int level, const char *fmt, va_list ap)
{
    char buf[2048], clean[2048];
    vsnprintf(buf, sizeof buf - 1, fmt, ap);
    /* "@0x55d0c0ffee" pointers differ between runs */
    size_t j = 0;
    for (size_t i = 0; buf[i] && j < sizeof clean - 8; i++) {
        if (buf[i] == '@' && buf[i + 1] == '0' && buf[i + 2] == 'x') {
            memcpy(clean + j, "@PTR", 4);
            j += 4;
            i += 3;
            while (isxdigit((unsigned char)buf[i]))
                i++;
            i--;
        } else {
            clean[j++] = buf[i];
        }
    }
    clean[j] = 0;
    out("  log%d: %s\n", level, clean);
}

/* ---- inputs end at a PROT_NONE page; one NUL byte sits right before it ------------------------ */

static char *region, *guard;
static const char *base;
static int base_len;

static void setup_region(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t data = ((MAX_INPUT + 2 * pg) / pg) * pg;
    region = mmap(NULL, data + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    guard = region + data;
    mprotect(guard, pg, PROT_NONE);
}

static char *place_with(const unsigned char *data, int n, char sentinel)
{
    char *p = guard - 1 - n;
    memcpy(p, data, n);
    guard[-1] = sentinel;
    base = p;
    base_len = n;
    return p;
}

static char *place(const unsigned char *data, int n)
{
    char *p = guard - 1 - n;
    memcpy(p, data, n);
    guard[-1] = 0;
    base = p;
    base_len = n;
    return p;
}

/* ---- printing structures ------------------------------------------------------------------------ */

static void pbytes(const char *p, int n)
{
    out("'");
    for (int i = 0; i < n && i < 40; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
            out("%c", c);
        else
            out("\\x%02x", c);
    }
    out(n > 40 ? "'..." : "'");
}

static void pav(const char *tag, const AVal *a)
{
    if (!a->av_val) {
        out(" %s=NULL/%d", tag, a->av_len);
    } else if (a->av_val >= base && a->av_val <= base + base_len) {
        long off = (long)(a->av_val - base);
        out(" %s=@%ld/%d", tag, off, a->av_len);
        if (a->av_len > 0 && off + a->av_len <= base_len)
            pbytes(a->av_val, a->av_len);
    } else {
        out(" %s=ext/%d", tag, a->av_len);
        if (a->av_len > 0 && a->av_len < 100)
            pbytes(a->av_val, a->av_len);
    }
}

static void pobj(const AMFObject *o, int d);

static void pprop(const AMFObjectProperty *p, int d)
{
    out("%*s-", d * 2, "");
    pav("name", &p->p_name);
    out(" type=%d", p->p_type);
    switch (p->p_type) {
    case AMF_NUMBER:
    case AMF_BOOLEAN:
    case AMF_DATE: {
        uint64_t bits;
        memcpy(&bits, &p->p_vu.p_number, 8);
        out(" num=%016llx", (unsigned long long)bits);
        if (p->p_type == AMF_DATE)
            out(" utc=%d", p->p_UTCoffset);
        out("\n");
        break;
    }
    case AMF_STRING:
    case AMF_XML_DOC:
        pav("str", &p->p_vu.p_aval);
        out("\n");
        break;
    case AMF_OBJECT:
    case AMF_ECMA_ARRAY:
    case AMF_STRICT_ARRAY:
        out("\n");
        pobj(&p->p_vu.p_object, d + 1);
        break;
    default:
        out("\n");
    }
}

static void pobj(const AMFObject *o, int d)
{
    out("%*sobject o_num=%d%s\n", d * 2, "", o->o_num, o->o_props ? "" : " o_props=NULL");
    for (int i = 0; i < o->o_num && o->o_props; i++)
        pprop(&o->o_props[i], d + 1);
}

static void phex(const char *tag, const char *p, long n)
{
    out("%s[%ld]", tag, n);
    if (n > 256) {
        out(" fnv=%016llx\n", (unsigned long long)fnv(p, (size_t)n));
        return;
    }
    out(" ");
    for (long i = 0; i < n; i++)
        out("%02x", (unsigned char)p[i]);
    out("\n");
}

/* ---- deterministic PRNG ------------------------------------------------------------------------ */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static int hex2bin(const char *h, unsigned char *outb)
{
    int n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        outb[n++] = (unsigned char)v;
    }
    return n;
}

/* ---- section: default logger --------------------------------------------------------------------- */

static void section_default_log(void)
{
    static char name_a[] = "duration", sval[] = "hello";
    AMFObject o = {0, NULL}, inner = {0, NULL};
    AMFObjectProperty p;
    memset(&p, 0, sizeof p);
    p.p_name.av_val = name_a;
    p.p_name.av_len = 8;
    p.p_type = AMF_NUMBER;
    p.p_vu.p_number = 12.5;
    AMF_AddProp(&inner, &p);
    memset(&p, 0, sizeof p);
    p.p_type = AMF_STRING;
    p.p_vu.p_aval.av_val = sval;
    p.p_vu.p_aval.av_len = 5;
    AMF_AddProp(&o, &p); /* unnamed: "no-name." */
    memset(&p, 0, sizeof p);
    p.p_name.av_val = name_a;
    p.p_name.av_len = 3;
    p.p_type = AMF_OBJECT;
    p.p_vu.p_object = inner;
    AMF_AddProp(&o, &p);
    fflush(stdout);
    RTMP_LogSetOutput(stdout);
    printf("default-log: DEBUG level\n");
    fflush(stdout);
    RTMP_LogSetLevel(RTMP_LOGDEBUG);
    AMF_Dump(&o);
    fflush(stdout);
    printf("default-log: ALL level\n");
    fflush(stdout);
    RTMP_LogSetLevel(RTMP_LOGALL);
    AMF_Dump(&o);
    AMFProp_Dump(&o.o_props[0]);
    fflush(stdout);
    printf("default-log: ERROR level (nothing)\n");
    RTMP_LogSetLevel(RTMP_LOGERROR);
    AMF_Dump(&o);
    fflush(stdout);
    AMF_Reset(&o);
    printf("default-log: after reset o_num=%d o_props=%s\n", o.o_num, o.o_props ? "set" : "NULL");
}

/* ---- section: primitives -------------------------------------------------------------------------- */

static char wbuf[70100];

#define TRY_ENC(label, call_expr, maxw)                                                      \
    do {                                                                                     \
        for (int w = 0; w <= (maxw); w++) {                                                  \
            memset(wbuf, 0xee, (size_t)(maxw) + 8);                                          \
            char *outp = wbuf, *end = wbuf + w;                                              \
            char *r = call_expr;                                                             \
            out("%s w=%d ret=", label, w);                                                   \
            if (r)                                                                           \
                out("+%ld ", (long)(r - wbuf));                                              \
            else                                                                             \
                out("NULL ");                                                                \
            phex("buf", wbuf, (long)(maxw) + 1);                                             \
        }                                                                                    \
    } while (0)

static void section_primitives(void)
{
    static char s5[] = "hello", nm[] = "name";
    AVal v5 = {s5, 5}, v0 = {NULL, 0}, name = {nm, 4};
    out("== primitives\n");
    TRY_ENC("EncodeString5", AMF_EncodeString(outp, end, &v5), 12);
    TRY_ENC("EncodeString0", AMF_EncodeString(outp, end, &v0), 7);
    TRY_ENC("EncodeNumber", AMF_EncodeNumber(outp, end, -1234.5678), 12);
    TRY_ENC("EncodeInt16", AMF_EncodeInt16(outp, end, (short)0xBEEF), 5);
    TRY_ENC("EncodeInt24", AMF_EncodeInt24(outp, end, 0x12345678), 6);
    TRY_ENC("EncodeInt32", AMF_EncodeInt32(outp, end, -2), 7);
    TRY_ENC("EncodeBoolean", AMF_EncodeBoolean(outp, end, 7), 5);
    TRY_ENC("EncodeBoolean0", AMF_EncodeBoolean(outp, end, 0), 5);
    TRY_ENC("EncodeNamedString", AMF_EncodeNamedString(outp, end, &name, &v5), 18);
    TRY_ENC("EncodeNamedNumber", AMF_EncodeNamedNumber(outp, end, &name, 0.25), 18);
    TRY_ENC("EncodeNamedBoolean", AMF_EncodeNamedBoolean(outp, end, &name, 1), 11);
    /* names and values around the length where the inline copy stops (32 bytes) */
    static const int lens[] = {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 40};
    static char txt[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        int l = lens[i];
        AVal nl = {txt, l}, vl = {txt + 5, l}, vnull = {NULL, 0};
        char label[64];
        snprintf(label, sizeof label, "EncodeString len %d", l);
        TRY_ENC(label, AMF_EncodeString(outp, end, &vl), l + 6);
        snprintf(label, sizeof label, "EncodeNamedString len %d", l);
        TRY_ENC(label, AMF_EncodeNamedString(outp, end, &nl, &vl), 2 * l + 8);
        snprintf(label, sizeof label, "EncodeNamedString len %d, empty value", l);
        TRY_ENC(label, AMF_EncodeNamedString(outp, end, &nl, &vnull), l + 8);
        snprintf(label, sizeof label, "EncodeNamedNumber len %d", l);
        TRY_ENC(label, AMF_EncodeNamedNumber(outp, end, &nl, 3.5), l + 12);
        snprintf(label, sizeof label, "EncodeNamedBoolean len %d", l);
        TRY_ENC(label, AMF_EncodeNamedBoolean(outp, end, &nl, 0), l + 5);
    }
    /* output past outend */
    out("EncodeNumber inverted: %s\n", AMF_EncodeNumber(wbuf + 20, wbuf + 10, 1.0) ? "ptr" : "NULL");
    /* long strings switch to 0x0C */
    static char big[70000];
    memset(big, 'x', sizeof big);
    AVal vb = {big, 65535};
    for (int extra = -1; extra <= 1; extra++) {
        char *r = AMF_EncodeString(wbuf, wbuf + 3 + 65535 + extra, &vb);
        out("EncodeString65535 room%+d: %s", extra, r ? "ok " : "NULL\n");
        if (r)
            phex("head", wbuf, 4);
    }
    vb.av_len = 65536;
    for (int extra = -1; extra <= 1; extra++) {
        char *r = AMF_EncodeString(wbuf, wbuf + 5 + 65536 + extra, &vb);
        out("EncodeString65536 room%+d: %s", extra, r ? "ok " : "NULL\n");
        if (r)
            phex("head", wbuf, 6);
    }

    static const unsigned char d[] = {0x80, 0x01, 0xff, 0x7f, 0x40, 0x09, 0x21, 0xfb,
                                      0x54, 0x44, 0x2d, 0x18, 0x00, 0x00, 0x00, 0x03};
    for (int i = 0; i < 8; i++) {
        const char *p = (const char *)d + i;
        double num = AMF_DecodeNumber(p);
        uint64_t bits;
        memcpy(&bits, &num, 8);
        out("decode@%d int16=%u int24=%u int32=%u bool=%d num=%016llx\n", i, AMF_DecodeInt16(p),
            AMF_DecodeInt24(p), AMF_DecodeInt32(p), AMF_DecodeBoolean(p), (unsigned long long)bits);
    }
    static const unsigned char strs[][8] = {{0, 0, 'a'}, {0, 3, 'a', 'b', 'c'}, {0xff, 0xff},
                                            {0, 0, 0, 0}, {0, 0, 0, 2, 'h', 'i'}, {0x80, 0, 0, 1}};
    for (int i = 0; i < 6; i++) {
        AVal a = {(char *)1, 99};
        base = (const char *)strs[i];
        base_len = 8;
        AMF_DecodeString((const char *)strs[i], &a);
        out("DecodeString %d:", i);
        pav("s", &a);
        AMF_DecodeLongString((const char *)strs[i], &a);
        pav(" long", &a);
        out("\n");
    }
    static const unsigned char u29s[][6] = {
        {0x00}, {0x01}, {0x7f}, {0x81, 0x00}, {0xff, 0x7f}, {0x81, 0x80, 0x00},
        {0xff, 0xff, 0x7f}, {0x80, 0x80, 0x80, 0x80}, {0xbf, 0xff, 0xff, 0xff},
        {0xc0, 0x80, 0x80, 0x01}, {0xff, 0xff, 0xff, 0xff}, {0x8f, 0xff, 0xff, 0xfe},
        {0x07, 'a', 'b', 'c'}, {0x06}, {0x81, 0x01, 'x'}};
    for (int i = 0; i < 15; i++) {
        int32_t v = 12345;
        AVal a = {(char *)1, 99};
        base = (const char *)u29s[i];
        base_len = 6;
        int n = AMF3ReadInteger((const char *)u29s[i], &v);
        int m = AMF3ReadString((const char *)u29s[i], &a);
        out("AMF3Read %d: int n=%d v=%d; string n=%d", i, n, v, m);
        pav("s", &a);
        out("\n");
    }
    flush_case("primitives", 1);
}

/* ---- section: object API ---------------------------------------------------------------------------- */

static AMFObjectProperty mkprop(char *name, int nlen, int type)
{
    AMFObjectProperty p;
    memset(&p, 0, sizeof p);
    p.p_name.av_val = name;
    p.p_name.av_len = nlen;
    p.p_type = type;
    return p;
}

static void section_api(void)
{
    static char names[] = "abcdefghijklmnopqrstuvwxyz", sv[] = "value";
    AMFObject o = {0, NULL};
    out("== api\n");
    base = names;
    base_len = sizeof names;
    for (int i = 0; i < 40; i++) {
        AMFObjectProperty p = mkprop(names + (i % 26), 1 + i % 3, AMF_NUMBER);
        p.p_vu.p_number = i * 1.5;
        if (i % 5 == 1) {
            p.p_type = AMF_STRING;
            p.p_vu.p_aval.av_val = sv;
            p.p_vu.p_aval.av_len = 5;
        } else if (i % 5 == 2) {
            p.p_type = AMF_BOOLEAN;
            p.p_vu.p_number = i & 2;
        }
        AMF_AddProp(&o, &p);
    }
    out("count=%d\n", AMF_CountProp(&o));
    for (int i = -2; i < 42; i += 7) {
        AVal key = {names + 1, 1};
        AMFObjectProperty *p = AMF_GetProp(&o, i < 0 ? &key : NULL, i);
        out("GetProp idx %d: %s type=%d valid=%d\n", i, p == AMF_GetProp(&o, NULL, 1000) ? "INVALID" : "found",
            AMFProp_GetType(p), AMFProp_IsValid(p));
    }
    const char *lookups[] = {"b", "bc", "zab", "zz", "", "abcd"};
    for (int i = 0; i < 6; i++) {
        AVal key = {(char *)lookups[i], (int)strlen(lookups[i])};
        AMFObjectProperty *p = AMF_GetProp(&o, &key, -1);
        AVal n, s;
        AMFObject sub;
        AMFProp_GetName(p, &n);
        AMFProp_GetString(p, &s);
        AMFProp_GetObject(p, &sub);
        out("GetProp '%s': idx=%ld type=%d", lookups[i],
            p->p_type == AMF_INVALID ? -1L : (long)(p - o.o_props), AMFProp_GetType(p));
        if (p->p_type != AMF_STRING)
            out(" num=%g bool=%d", AMFProp_GetNumber(p), AMFProp_GetBoolean(p));
        pav("name", &n);
        pav("str", &s);
        out(" obj=%d/%s\n", sub.o_num, sub.o_props ? "set" : "NULL");
    }
    /* accessors by type */
    AMFObject inner = {0, NULL};
    AMFObjectProperty q = mkprop(names, 1, AMF_NUMBER);
    q.p_vu.p_number = 3;
    AMF_AddProp(&inner, &q);
    int types[] = {AMF_NUMBER, AMF_BOOLEAN, AMF_STRING, AMF_OBJECT, AMF_NULL, AMF_ECMA_ARRAY,
                   AMF_STRICT_ARRAY, AMF_DATE, AMF_UNDEFINED, AMF_XML_DOC, AMF_INVALID};
    for (int i = 0; i < 11; i++) {
        AMFObjectProperty p = mkprop(names + 3, 4, types[i]);
        if (types[i] == AMF_OBJECT || types[i] == AMF_ECMA_ARRAY || types[i] == AMF_STRICT_ARRAY)
            p.p_vu.p_object.o_num = inner.o_num, p.p_vu.p_object.o_props = inner.o_props;
        else if (types[i] == AMF_STRING || types[i] == AMF_XML_DOC) {
            p.p_vu.p_aval.av_val = sv;
            p.p_vu.p_aval.av_len = 5;
        } else
            p.p_vu.p_number = -0.0;
        AVal s;
        AMFObject sub;
        AMFProp_GetString(&p, &s);
        AMFProp_GetObject(&p, &sub);
        out("type %d: valid=%d bool=%d", types[i], AMFProp_IsValid(&p), AMFProp_GetBoolean(&p));
        pav("str", &s);
        out(" obj=%d\n", sub.o_num);
        /* encode it, named */
        memset(wbuf, 0xee, 64);
        char *r = AMFProp_Encode(&p, wbuf, wbuf + 60);
        out("  encode: %s ", r ? "ok" : "NULL");
        phex("bytes", wbuf, r ? r - wbuf : 12);
        for (int w = 0; w < 24; w++) {
            char *r2 = AMFProp_Encode(&p, wbuf, wbuf + w);
            out("%c", r2 ? (r2 == r ? '=' : '?') : '.');
        }
        out("\n");
        AMFProp_Dump(&p);
        AVal nn = {names + 10, 2};
        AMFProp_SetName(&p, &nn);
        AMFProp_Dump(&p);
    }
    /* prop reset */
    AMFObjectProperty r = mkprop(names, 2, AMF_STRING);
    r.p_vu.p_aval.av_val = sv;
    r.p_vu.p_aval.av_len = 5;
    AMFProp_Reset(&r);
    out("reset string: type=%d", r.p_type);
    pav("name", &r.p_name);
    pav("val", &r.p_vu.p_aval);
    out("\n");
    r = mkprop(names, 2, AMF_NUMBER);
    r.p_vu.p_number = 5;
    AMFProp_Reset(&r);
    out("reset number: type=%d num=%g\n", r.p_type, r.p_vu.p_number);

    /* object encoders at every window size, including a property that cannot be encoded */
    AMFObject enc = {0, NULL};
    AMFObjectProperty e = mkprop(names, 2, AMF_STRING);
    e.p_vu.p_aval.av_val = sv;
    e.p_vu.p_aval.av_len = 5;
    AMF_AddProp(&enc, &e);
    e = mkprop(names + 2, 1, AMF_NULL);
    AMF_AddProp(&enc, &e);
    e = mkprop(names + 4, 1, AMF_OBJECT);
    e.p_vu.p_object = inner;
    AMF_AddProp(&enc, &e);
    e = mkprop(NULL, 0, AMF_BOOLEAN);
    e.p_vu.p_number = 1;
    AMF_AddProp(&enc, &e);
    for (int which = 0; which < 3; which++) {
        for (int w = 0; w <= 44; w++) {
            memset(wbuf, 0xee, 64);
            char *rr = which == 0   ? AMF_Encode(&enc, wbuf, wbuf + w)
                       : which == 1 ? AMF_EncodeEcmaArray(&enc, wbuf, wbuf + w)
                                    : AMF_EncodeArray(&enc, wbuf, wbuf + w);
            out("enc%d w=%d ret=%ld ", which, w, rr ? (long)(rr - wbuf) : -1L);
            phex("buf", wbuf, 46);
        }
    }
    e = mkprop(names, 1, AMF_DATE);
    AMF_AddProp(&enc, &e);
    e = mkprop(names, 1, AMF_NUMBER);
    AMF_AddProp(&enc, &e);
    for (int which = 0; which < 3; which++) {
        memset(wbuf, 0xee, 80);
        char *rr = which == 0   ? AMF_Encode(&enc, wbuf, wbuf + 80)
                   : which == 1 ? AMF_EncodeEcmaArray(&enc, wbuf, wbuf + 80)
                                : AMF_EncodeArray(&enc, wbuf, wbuf + 80);
        out("enc-with-date%d ret=%ld ", which, rr ? (long)(rr - wbuf) : -1L);
        phex("buf", wbuf, 60);
    }
    AMF_Dump(&enc);
    free(enc.o_props); /* shallow: `inner` is shared */

    /* AMF3 class definitions */
    AMF3ClassDef cd;
    memset(&cd, 0, sizeof cd);
    for (int i = 0; i < 35; i++) {
        AVal m = {names + (i % 26), 1};
        AMF3CD_AddProp(&cd, &m);
    }
    out("cd_num=%d", cd.cd_num);
    for (int i = 0; i < 40; i += 4) {
        AVal *m = AMF3CD_GetProp(&cd, i);
        pav("m", m);
    }
    out("\n");
    free(cd.cd_props);

    /* a caller-malloc'd array released by AMF_Reset (rtmpsrv does this) */
    AMFObject mine;
    mine.o_num = 2;
    mine.o_props = malloc(2 * sizeof(AMFObjectProperty));
    mine.o_props[0] = mkprop(names, 1, AMF_NUMBER);
    mine.o_props[1] = mkprop(names, 1, AMF_OBJECT);
    mine.o_props[1].p_vu.p_object.o_num = 0;
    mine.o_props[1].p_vu.p_object.o_props = NULL;
    AMF_Reset(&mine);
    out("caller array reset: o_num=%d o_props=%s\n", mine.o_num, mine.o_props ? "set" : "NULL");

    AMF_Reset(&inner);
    AMF_Reset(&o);
    out("reset: o_num=%d o_props=%s\n", o.o_num, o.o_props ? "set" : "NULL");
    flush_case("api", 1);
}

/* ---- decoding one input with every decoder ----------------------------------------------------------- */

enum { D_DECODE0, D_DECODE1, D_PROP0, D_PROP1, D_AMF3OBJ, D_AMF3OBJ0, D_AMF3PROP0, D_AMF3PROP1, D_N };
static const char *const dname[D_N] = {"AMF_Decode(0)", "AMF_Decode(1)", "AMFProp_Decode(0)",
                                       "AMFProp_Decode(1)", "AMF3_Decode(1)", "AMF3_Decode(0)",
                                       "AMF3Prop_Decode(0)", "AMF3Prop_Decode(1)"};

/* The library functions used for one decode (the linked ones, or the dlmopen'ed reference). */
struct amf_api {
    int (*decode)(AMFObject *, const char *, int, int);
    int (*prop_decode)(AMFObjectProperty *, const char *, int, int);
    int (*amf3_decode)(AMFObject *, const char *, int, int);
    int (*amf3_prop_decode)(AMFObjectProperty *, const char *, int, int);
    void (*reset)(AMFObject *);
    void (*prop_reset)(AMFObjectProperty *);
    void (*dump)(AMFObject *);
    void (*prop_dump)(AMFObjectProperty *);
    char *(*prop_encode)(AMFObjectProperty *, char *, char *);
};

static const struct amf_api linked = {AMF_Decode, AMFProp_Decode, AMF3_Decode, AMF3Prop_Decode,
                                      AMF_Reset, AMFProp_Reset, AMF_Dump, AMFProp_Dump,
                                      AMFProp_Encode};
/* private copies (dlmopen) of the system librtmp and of ours, loaded on both sides */
static struct amf_api oracle, ours_copy;
static int have_oracle;

/* Runs decoder `k` on [p, p+n); prints the result (everything when `full`, "fail" only on
 * failure otherwise); dumps and re-encodes successes when `post`. */
static void run_decoder(const struct amf_api *api, int k, const char *p, int n, int full, int post)
{
    AMFObject o;
    AMFObjectProperty pr;
    int r, isobj = k <= D_DECODE1 || k == D_AMF3OBJ || k == D_AMF3OBJ0;
    size_t mark = tb_len;
    memset(&o, 0, sizeof o);
    memset(&pr, 0, sizeof pr);
    switch (k) {
    case D_DECODE0:
    case D_DECODE1:
        r = api->decode(&o, p, n, k == D_DECODE1);
        break;
    case D_PROP0:
    case D_PROP1:
        r = api->prop_decode(&pr, p, n, k == D_PROP1);
        break;
    case D_AMF3OBJ:
    case D_AMF3OBJ0:
        r = api->amf3_decode(&o, p, n, k == D_AMF3OBJ);
        break;
    default:
        r = api->amf3_prop_decode(&pr, p, n, k == D_AMF3PROP1);
    }
    int failed = r < 0 || r > n;
    if (failed && !full) {
        /* failure paths differ where the reference reads past the input: keep the verdict */
        tb_len = mark;
        out("%s: fail\n", dname[k]);
        if (isobj)
            api->reset(&o);
        return;
    }
    out("%s: ret=%d\n", dname[k], r);
    if (failed && !isobj)
        return;
    if (isobj)
        pobj(&o, 1);
    else
        pprop(&pr, 1);
    if (post && !failed) {
        if (isobj)
            api->dump(&o);
        else
            api->prop_dump(&pr);
        static char enc[MAX_INPUT * 2 + 64];
        char *e;
        if (isobj) {
            e = enc;
            for (int i = 0; i < o.o_num && e; i++)
                e = api->prop_encode(&o.o_props[i], e, enc + sizeof enc);
        } else {
            e = api->prop_encode(&pr, enc, enc + sizeof enc);
        }
        if (e)
            phex("  reencoded", enc, e - enc);
        else
            out("  reencoded: NULL\n");
    }
    if (isobj)
        api->reset(&o);
    else
        api->prop_reset(&pr);
}

static void section_corpus(void)
{
    static unsigned char bin[MAX_INPUT];
    int ncorpus = (int)(sizeof amf_corpus / sizeof amf_corpus[0]);
    for (int c = 0; c < ncorpus; c++) {
        int n = hex2bin(amf_corpus[c][1], bin);
        char *p = place(bin, n);
        out("== corpus %s (%d bytes)\n", amf_corpus[c][0], n);
        for (int k = 0; k < D_N; k++)
            run_decoder(&linked, k, p, n, 1, 1);
        /* the AMF3 part alone, as AMF3_Decode sees an AVM+ body */
        for (int i = 0; i + 1 < n; i++) {
            if (bin[i] == 0x11 && bin[i + 1] == 0x0a) {
                out("-- AMF3 at %d\n", i);
                run_decoder(&linked, D_AMF3OBJ, p + i + 1, n - i - 1, 1, 1);
                run_decoder(&linked, D_AMF3PROP0, p + i + 1, n - i - 1, 1, 1);
                break;
            }
        }
        flush_case(amf_corpus[c][0], 1);
    }
}

/* ---- section: random trees ------------------------------------------------------------------------- */

static char pool[4096];

static void gen_obj(AMFObject *o, int depth, int named);

static void gen_prop(AMFObjectProperty *p, int depth, int named)
{
    memset(p, 0, sizeof *p);
    if (named) {
        p->p_name.av_val = pool + below(3000);
        p->p_name.av_len = (int)below(below(4) ? 12 : 40);
    }
    unsigned k = depth >= 4 ? below(6) : below(10);
    static const int scalar[] = {AMF_NUMBER, AMF_BOOLEAN, AMF_STRING, AMF_NULL, AMF_NUMBER, AMF_STRING};
    if (k < 6) {
        p->p_type = scalar[k];
    } else if (k < 9) {
        static const int cont[] = {AMF_OBJECT, AMF_ECMA_ARRAY, AMF_STRICT_ARRAY};
        p->p_type = cont[k - 6];
        gen_obj(&p->p_vu.p_object, depth + 1, p->p_type != AMF_STRICT_ARRAY);
        return;
    } else {
        static const int odd[] = {AMF_DATE, AMF_UNDEFINED, AMF_XML_DOC, AMF_INVALID, AMF_NULL,
                                  AMF_NULL, AMF_NULL, AMF_NULL};
        p->p_type = odd[below(8)];
    }
    switch (p->p_type) {
    case AMF_NUMBER:
    case AMF_DATE: {
        uint64_t bits = rnd();
        double small[] = {0, -0.0, 1, 0.125, 0.375, 2.675, 1e300, -1e-300, 1.0 / 3, 123456789.125};
        if (below(2)) {
            double d = small[below(10)];
            memcpy(&bits, &d, 8);
        }
        memcpy(&p->p_vu.p_number, &bits, 8);
        break;
    }
    case AMF_BOOLEAN:
        p->p_vu.p_number = below(3) == 0 ? 0.0 : below(2) ? 1.0 : -2.5;
        break;
    case AMF_STRING:
    case AMF_XML_DOC:
        p->p_vu.p_aval.av_val = pool + below(3000);
        p->p_vu.p_aval.av_len = (int)below(below(8) ? 20 : 300);
        break;
    default:
        break;
    }
}

static void gen_obj(AMFObject *o, int depth, int named)
{
    o->o_num = 0;
    o->o_props = NULL;
    unsigned n = below(depth == 0 ? 12 : 6);
    for (unsigned i = 0; i < n; i++) {
        AMFObjectProperty p;
        gen_prop(&p, depth, named);
        AMF_AddProp(o, &p);
    }
}

/* Frees a generated tree (strings live in `pool`). */
static void free_tree(AMFObject *o)
{
    AMF_Reset(o);
}

static unsigned char seeds[64][2048];
static int seed_len[64], nseeds;

static void section_trees(void)
{
    static char enc[1 << 16];
    for (int i = 0; i < (int)sizeof pool; i++)
        pool[i] = (char)(below(4) ? 'a' + below(26) : rnd());
    for (int t = 0; t < N_TREES; t++) {
        AMFObject o;
        gen_obj(&o, 0, 1);
        out("tree %d o_num=%d\n", t, o.o_num);
        int kind = (int)below(3);
        char *e = kind == 0   ? AMF_Encode(&o, enc, enc + sizeof enc)
                  : kind == 1 ? AMF_EncodeEcmaArray(&o, enc, enc + sizeof enc)
                              : AMF_EncodeArray(&o, enc, enc + sizeof enc);
        long len = e ? (long)(e - enc) : -1;
        out("encode kind %d: ret=%ld\n", kind, len);
        if (e) {
            phex("bytes", enc, len);
            /* short windows */
            for (int s = 0; s < 4 && len > 0; s++) {
                long w = (long)below((unsigned)len + 2);
                char *e2 = kind == 0   ? AMF_Encode(&o, enc, enc + w)
                           : kind == 1 ? AMF_EncodeEcmaArray(&o, enc, enc + w)
                                       : AMF_EncodeArray(&o, enc, enc + w);
                out("window %ld: ret=%ld\n", w, e2 ? (long)(e2 - enc) : -1L);
                if (e2)
                    phex("bytes", enc, e2 - enc);
            }
            e = kind == 0   ? AMF_Encode(&o, enc, enc + sizeof enc)
                : kind == 1 ? AMF_EncodeEcmaArray(&o, enc, enc + sizeof enc)
                            : AMF_EncodeArray(&o, enc, enc + sizeof enc);
            if (len < MAX_INPUT) {
                char *p = place((unsigned char *)enc, (int)len);
                run_decoder(&linked, D_PROP0, p, (int)len, 1, 1);
                run_decoder(&linked, D_DECODE0, p, (int)len, 1, 0);
                if (len <= 2048 && nseeds < 64 && below(8) == 0) {
                    memcpy(seeds[nseeds], enc, (size_t)len);
                    seed_len[nseeds++] = (int)len;
                }
            }
        }
        AMF_Dump(&o);
        free_tree(&o);
        char label[32];
        snprintf(label, sizeof label, "tree %d", t);
        flush_case(label, 0);
    }
}

/* ---- section: mutations ----------------------------------------------------------------------------- */

static void dirty_stack(unsigned char v)
{
    volatile unsigned char junk[1 << 16];
    memset((void *)junk, v, sizeof junk);
    __asm__ volatile("" ::"r"(junk) : "memory");
}

static void (*oracle_setlevel)(RTMP_LogLevel), (*ours_setlevel)(RTMP_LogLevel);
static void (*oracle_setcb)(RTMP_LogCallback *), (*ours_setcb)(RTMP_LogCallback *);
static int n_refused;
static int oracle_saw_member_failure;

static void oracle_log(int level, const char *fmt, va_list ap)
{
    char buf[2048];
    (void)level;
    vsnprintf(buf, sizeof buf, fmt, ap);
    if (strstr(buf, "failed to decode AMF3 property"))
        oracle_saw_member_failure = 1;
}

/* Classifies how the reference behaves on decoder k and this input: NULL when its result is
 * well defined, else why not. Runs in a child process: the reference may crash here. */
static const char *oracle_verdict(int k, const unsigned char *data, int n)
{
    char *t[3];
    const char *p = NULL;
    size_t save = tb_len;
    oracle_setcb(oracle_log);
    for (int run = 0; run < 3; run++) {
        /* run 2 ends the input with 0xff instead of NUL: a result that changes reads past it */
        p = place_with(data, n, run == 2 ? (char)0xff : 0);
        oracle_setlevel(run == 2 ? RTMP_LOGCRIT : RTMP_LOGDEBUG);
        dirty_stack(run == 1 ? 0x5a : 0xa5);
        run_decoder(&oracle, k, p, n, 1, 0);
        t[run] = strndup(tb + save, tb_len - save);
        tb_len = save;
    }
    place(data, n);
    const char *v = NULL;
    if (oracle_saw_member_failure)
        v = "reference continues after an undecodable AMF3 member";
    else if (strcmp(t[0], t[1]) != 0)
        v = "reference uses uninitialised memory";
    else if (strcmp(t[0], t[2]) != 0)
        v = "reference reads past the input";
    for (int i = 0; i < 3; i++)
        free(t[i]);
    return v;
}

/* One mutated input through decoder k in a child process. */
static void mutation_case(int k, const unsigned char *data, int n)
{
    int fd[2];
    fflush(stdout);
    if (pipe(fd) != 0) {
        perror("pipe");
        exit(2);
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        alarm(5);
        char *p = place(data, n);
        tb_len = 0;
        if (have_oracle) {
            const char *v = oracle_verdict(k, data, n);
            if (v) {
                ssize_t w = write(fd[1], "U", 1);
                w = write(fd[1], v, strlen(v));
                (void)w;
                _exit(0);
            }
        }
        /* both libraries at ALL level, logs into the case text */
        oracle_setlevel(RTMP_LOGALL);
        oracle_setcb(log_cb);
        ours_setlevel(RTMP_LOGALL);
        ours_setcb(log_cb);
        p = place(data, n);
        tb_len = 0;
        run_decoder(&oracle, k, p, n, 0, 1);
        char *rtext = strndup(tb, tb_len);
        tb_len = 0;
        run_decoder(&ours_copy, k, p, n, 0, 1);
        char *otext = strndup(tb, tb_len);
        ssize_t w;
        if (strcmp(rtext, otext) == 0) {
            w = write(fd[1], "C", 1);
            w = write(fd[1], otext, strlen(otext));
        } else if (strstr(otext, ": fail\n") && !strchr(strstr(otext, ": fail\n") + 7, '\n')) {
            /* we refuse what the reference accepts (see docs/compat.md, AMF) */
            w = write(fd[1], "D", 1);
            w = write(fd[1], rtext, strcspn(rtext, "\n"));
        } else {
            /* a real difference: print the linked library's own result, which differs between
             * the two runs, so run-diffs.sh reports it */
            tb_len = 0;
            run_decoder(&linked, k, p, n, 0, 1);
            w = write(fd[1], "M", 1);
            w = write(fd[1], tb, tb_len);
        }
        (void)w;
        _exit(0);
    }
    close(fd[1]);
    char mark = 0;
    size_t got = 0;
    static char buf[1 << 20];
    ssize_t r = read(fd[0], &mark, 1);
    if (r == 1) {
        /* "C" + results, or "U" + verdict */
        while ((r = read(fd[0], buf + got, sizeof buf - 1 - got)) > 0)
            got += (size_t)r;
    }
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if ((mark == 'C' || mark == 'M') && ok) {
        buf[got] = 0;
        out("%s", buf);
    } else if (mark == 'D' && ok) {
        buf[got] = 0;
        n_refused++;
        out("%s: fail; the reference accepts it: %s\n", dname[k], buf);
    } else if (mark == 'C' || mark == 'M' || mark == 'D') {
        out("%s: LINKED LIBRARY CRASHED (status %d)\n", dname[k], status);
    } else if (mark == 'U') {
        buf[got] = 0;
        out("%s: %s\n", dname[k], buf);
        /* our library must still survive it */
        fflush(stdout);
        pid_t q = fork();
        if (q == 0) {
            alarm(5);
            tb_len = 0;
            ours_setlevel(RTMP_LOGCRIT);
            run_decoder(&ours_copy, k, place(data, n), n, 0, 1);
            _exit(0);
        }
        int st;
        waitpid(q, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            out("%s: LINKED LIBRARY CRASHED (status %d)\n", dname[k], st);
    } else {
        out("%s: reference crashed or hung (%s)\n", dname[k],
            WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit");
    }
}

static int load_copy(const char *path, struct amf_api *api, void (**setlevel)(RTMP_LogLevel),
                     void (**setcb)(RTMP_LogCallback *))
{
    void *h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return 0;
    api->decode = (int (*)(AMFObject *, const char *, int, int))dlsym(h, "AMF_Decode");
    api->prop_decode = (int (*)(AMFObjectProperty *, const char *, int, int))dlsym(h, "AMFProp_Decode");
    api->amf3_decode = (int (*)(AMFObject *, const char *, int, int))dlsym(h, "AMF3_Decode");
    api->amf3_prop_decode =
        (int (*)(AMFObjectProperty *, const char *, int, int))dlsym(h, "AMF3Prop_Decode");
    api->reset = (void (*)(AMFObject *))dlsym(h, "AMF_Reset");
    api->prop_reset = (void (*)(AMFObjectProperty *))dlsym(h, "AMFProp_Reset");
    api->dump = (void (*)(AMFObject *))dlsym(h, "AMF_Dump");
    api->prop_dump = (void (*)(AMFObjectProperty *))dlsym(h, "AMFProp_Dump");
    api->prop_encode = (char *(*)(AMFObjectProperty *, char *, char *))dlsym(h, "AMFProp_Encode");
    *setlevel = (void (*)(RTMP_LogLevel))dlsym(h, "RTMP_LogSetLevel");
    *setcb = (void (*)(RTMP_LogCallback *))dlsym(h, "RTMP_LogSetCallback");
    return api->decode && api->prop_decode && api->amf3_decode && api->amf3_prop_decode &&
           api->reset && api->prop_reset && api->dump && api->prop_dump && api->prop_encode &&
           *setlevel && *setcb;
}

static void load_oracle(void)
{
    char self[4096], path[4200];
    ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
    if (l <= 0)
        return;
    self[l] = 0;
    *strrchr(self, '/') = 0;
    snprintf(path, sizeof path, "%s/../lib/librtmp.so.1", self);
    const char *ours = getenv("AMF_OURS_LIB") ? getenv("AMF_OURS_LIB") : path;
    if (!load_copy(ours, &ours_copy, &ours_setlevel, &ours_setcb))
        return;
    const char *paths[] = {getenv("AMF_REF_LIB"), "/usr/lib/x86_64-linux-gnu/librtmp.so.1",
                           "/usr/lib/librtmp.so.1"};
    for (int i = 0; i < 3; i++) {
        if (paths[i] && load_copy(paths[i], &oracle, &oracle_setlevel, &oracle_setcb)) {
            oracle_setcb(oracle_log);
            have_oracle = 1;
            return;
        }
    }
}

static void section_mutations(void)
{
    static unsigned char bin[MAX_INPUT];
    int ncorpus = (int)(sizeof amf_corpus / sizeof amf_corpus[0]);
    if (!have_oracle) {
        printf("mutations skipped: cannot load private copies of both libraries\n");
        return;
    }
    for (int m = 0; m < N_MUTATIONS; m++) {
        int n;
        unsigned src = below((unsigned)(ncorpus + nseeds));
        if ((int)src < ncorpus)
            n = hex2bin(amf_corpus[src][1], bin);
        else {
            n = seed_len[src - ncorpus];
            memcpy(bin, seeds[src - ncorpus], (size_t)n);
        }
        /* AMF3 decoders get the AMF3 body of AVM+ inputs */
        int edits = 1 + (int)below(4);
        for (int e = 0; e < edits && n > 0; e++) {
            int i = (int)below((unsigned)n);
            switch (below(7)) {
            case 0:
                bin[i] = (unsigned char)rnd();
                break;
            case 1:
                bin[i] ^= (unsigned char)(1u << below(8));
                break;
            case 2:
                n = i;
                break;
            case 3:
                if (n < MAX_INPUT - 1) {
                    memmove(bin + i + 1, bin + i, (size_t)(n - i));
                    bin[i] = (unsigned char)(below(2) ? rnd() : below(18));
                    n++;
                }
                break;
            case 4:
                memmove(bin + i, bin + i + 1, (size_t)(n - i - 1));
                n--;
                break;
            case 5: { /* interesting values */
                static const unsigned char iv[] = {0x00, 0x01, 0x03, 0x05, 0x08, 0x09, 0x0a, 0x0b,
                                                   0x0c, 0x11, 0x7f, 0x80, 0xff};
                bin[i] = iv[below(sizeof iv)];
                break;
            }
            default: { /* duplicate a range */
                int len = (int)below(16) + 1;
                if (i + len <= n && n + len < MAX_INPUT) {
                    memmove(bin + i + len, bin + i, (size_t)(n - i));
                    n += len;
                }
            }
            }
        }
        out("mutation %d (%d bytes from %u)\n", m, n, src);
        int k = (int)below(D_N);
        const unsigned char *d = bin;
        int dn = n;
        if (k >= D_AMF3OBJ && below(4)) {
            for (int i = 0; i + 1 < n; i++)
                if (bin[i] == 0x11) {
                    d = bin + i + 1;
                    dn = n - i - 1;
                    break;
                }
        }
        mutation_case(k, d, dn);
        char label[32];
        snprintf(label, sizeof label, "mutation %d", m);
        flush_case(label, 0);
    }
}

int main(void)
{
    verbose = getenv("AMF_DIFF_VERBOSE") != NULL;
    tb_cap = 1 << 16;
    tb = malloc(tb_cap);
    tb[0] = 0;
    setup_region();
    section_default_log();
    RTMP_LogSetCallback(log_cb);
    RTMP_LogSetLevel(RTMP_LOGALL);
    section_primitives();
    section_api();
    section_corpus();
    section_trees();
    load_oracle();
    printf("oracle for mutations: %s\n", have_oracle ? "loaded" : "MISSING");
    section_mutations();
    int ncorpus = (int)(sizeof amf_corpus / sizeof amf_corpus[0]);
    printf("diff_amf: %d corpus inputs x %d decoders, %d random trees, %d mutations "
           "(%d refused by us where the reference accepts garbage): %d cases\n",
           ncorpus, D_N, N_TREES, N_MUTATIONS, n_refused, ncorpus * D_N + N_TREES + N_MUTATIONS);
    return 0;
}
