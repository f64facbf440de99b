/* Inputs on which the system librtmp crashes, loops or misbehaves (so diff_amf.c cannot compare
 * them): our library must return its failure value and stay inside its buffers. Runs on our
 * library only. See docs/compat.md, AMF. */
#include <stdint.h>

#include "librtmp/amf.h"
#include "librtmp/log.h"
#include "common.h"

int AMF3ReadInteger(const char *data, int32_t *valp);

static char *nested(const char *unit, int unit_len, const char *first, int first_len, int times,
                    int *len)
{
    char *b = malloc((size_t)(first_len + unit_len * times + 1));
    memcpy(b, first, (size_t)first_len);
    for (int i = 0; i < times; i++)
        memcpy(b + first_len + i * unit_len, unit, (size_t)unit_len);
    *len = first_len + unit_len * times;
    return b;
}

int main(void)
{
    RTMP_LogSetLevel(RTMP_LOGCRIT);
    AMFObject o;
    AMFObjectProperty p;
    int n;

    /* (g) unbounded recursion: 1 million nested objects / ECMA arrays / AMF3 objects */
    char *b = nested("\x00\x01" "a\x03", 4, "\x03", 1, 1000000, &n);
    CHECK(AMF_Decode(&o, b, n, FALSE) == -1, "deep objects");
    AMF_Reset(&o);
    CHECK(AMFProp_Decode(&p, b, n, FALSE) == -1, "deep objects (prop)");
    free(b);
    b = nested("\x00\x01" "a\x08\x00\x00\x00\x01", 8, "\x08\x00\x00\x00\x01", 5, 500000, &n);
    CHECK(AMF_Decode(&o, b, n, FALSE) == -1, "deep ECMA arrays");
    AMF_Reset(&o);
    free(b);
    b = nested("\x0a\x00\x00\x00\x01", 5, "", 0, 500000, &n);
    CHECK(AMF_Decode(&o, b, n, FALSE) == -1, "deep strict arrays");
    AMF_Reset(&o);
    free(b);
    /* librtmp skips one byte after a nested AMF3 object marker, hence the extra 0x0a */
    b = nested("\x03" "a\x0a\x0a\x0b\x01", 6, "\x0a\x0b\x01", 3, 300000, &n);
    CHECK(AMF3_Decode(&o, b, n, TRUE) == -1, "deep AMF3 objects");
    AMF_Reset(&o);
    free(b);
    /* 64 levels are fine, 65 are not */
    b = nested("\x00\x01" "a\x03", 4, "\x03", 1, 63, &n);
    CHECK(AMFProp_Decode(&p, b, n, FALSE) == n, "64 levels");
    AMFProp_Reset(&p);
    free(b);
    b = nested("\x00\x01" "a\x03", 4, "\x03", 1, 64, &n);
    CHECK(AMFProp_Decode(&p, b, n, FALSE) == -1, "65 levels");
    free(b);

    /* values cut short: the reference reads past the end; we never report more than nSize */
    static const char *const cut[] = {"\x0a", "\x0a\x00\x00", "\x08\x00", "\x11", "\x11\x0a",
                                      "\x11\x0a\x0b", "\x11\x0a\x0b\x05", "\x11\x0a\x81"};
    for (int i = 0; i < 8; i++) {
        int len = (int)strlen(cut[i]) + (i == 2 ? 1 : 0);
        char *exact = malloc((size_t)len);
        memcpy(exact, cut[i], (size_t)len);
        int r = AMFProp_Decode(&p, exact, len, FALSE);
        CHECK(r == -1 || (i == 6 && r == len), "cut %d: %d", i, r);
        if (r > 0)
            AMFProp_Reset(&p);
        r = AMF_Decode(&o, exact, len, FALSE);
        CHECK(r == -1 || (i == 6 && r == len), "cut %d (object): %d", i, r);
        AMF_Reset(&o);
        r = AMF3_Decode(&o, exact + 1, len - 1, TRUE);
        CHECK(r <= len - 1, "cut %d (AMF3): %d", i, r);
        AMF_Reset(&o);
        free(exact);
    }
    /* AMF3: dynamic object whose first member ends the list (reference: uninitialised property) */
    static const char dyn0[] = "\x0a\x0b\x01\x01";
    CHECK(AMF3_Decode(&o, dyn0, 4, TRUE) == 4, "empty dynamic object");
    CHECK(o.o_num == 1 && o.o_props[0].p_type == AMF_NULL, "terminator is NULL: %d", o.o_num);
    AMF_Reset(&o);
    /* AMF3: member that fails to decode (reference: stale property, goes back one byte) */
    static const char bad[] = "\x0a\x0b\x01\x03" "a\x09\x01";
    CHECK(AMF3_Decode(&o, bad, 7, TRUE) == -1, "undecodable member");
    AMF_Reset(&o);
    /* AMF3: externalizable object without its value (reference: uninitialised property) */
    static const char ext[] = "\x0a\x07\x01";
    CHECK(AMF3_Decode(&o, ext, 3, TRUE) == -1, "externalizable without value");
    AMF_Reset(&o);
    /* AMF3: negative string length */
    static const char neg[] = "\x06\xff\xff\xff\xff";
    CHECK(AMF3Prop_Decode(&p, neg, 5, FALSE) == -1, "negative AMF3 string length");
    /* CVE-2015-8271 shape: many members announced, few bytes */
    static const char many[] = "\x0a\x83\xff\xff\xf3\x01\x03m";
    CHECK(AMF3_Decode(&o, many, 8, TRUE) <= 8, "huge member count");
    AMF_Reset(&o);

    /* encoders: unreadable strings and names fail instead of crashing */
    char out[64];
    AVal negs = {out, -5}, nulls = {NULL, 3};
    CHECK(AMF_EncodeString(out, out + 64, &negs) == NULL, "negative string length");
    CHECK(AMF_EncodeString(out, out + 64, &nulls) == NULL, "NULL string");
    CHECK(AMF_EncodeNamedNumber(out, out + 64, &nulls, 1.0) == NULL, "NULL name");
    CHECK(AMF_EncodeNumber(NULL, NULL, 1.0) == NULL, "NULL output");
    /* a cyclic object (the reference recurses until the stack overflows) */
    AMFObject cyc = {0, NULL};
    AMFObjectProperty q;
    memset(&q, 0, sizeof q);
    q.p_type = AMF_OBJECT;
    AMF_AddProp(&cyc, &q);
    cyc.o_props[0].p_vu.p_object = cyc;
    static char big[1 << 20];
    /* the depth limit fails the innermost property; like librtmp, the enclosing objects are
     * then closed, so the result is a short but well-formed encoding */
    char *end = AMF_Encode(&cyc, big, big + sizeof big);
    CHECK(end && end < big + 4096, "cyclic object encode");
    RTMP_LogSetLevel(RTMP_LOGCRIT); /* the dump stops at the depth limit */
    AMF_Dump(&cyc);
    free(cyc.o_props);
    /* lookups the reference crashes on */
    AMFObject empty = {3, NULL};
    CHECK(AMF_GetProp(&empty, NULL, 1)->p_type == AMF_INVALID, "NULL o_props");
    CHECK(AMF_GetProp(&empty, NULL, -1)->p_type == AMF_INVALID, "NULL name");
    AMF3ClassDef cd;
    memset(&cd, 0, sizeof cd);
    CHECK(AMF3CD_GetProp(&cd, -1)->av_len == 0, "negative class member index");
    /* NULL pointers */
    CHECK(AMF_Decode(NULL, "", 0, 0) == -1, "NULL object");
    CHECK(AMF_Decode(&o, NULL, 5, 0) == -1, "NULL buffer");
    CHECK(AMFProp_Decode(&p, NULL, 5, 0) == -1, "NULL buffer (prop)");
    return test_summary("test_amf_hostile");
}
