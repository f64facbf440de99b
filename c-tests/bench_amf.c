/* AMF micro-benchmark: ns per operation for onMetaData and connect encode/decode.
 * One run prints "<op> <ns/op>" lines; bench-amf.sh runs it alternately on our library and on
 * the system librtmp (LD_LIBRARY_PATH) and reports medians and ratios. */
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>

#include "librtmp/amf.h"
#include "librtmp/log.h"
#include "common.h"

#define SAVC(x) static AVal av_##x = {(char *)#x, sizeof(#x) - 1}
SAVC(connect); SAVC(app); SAVC(flashVer); SAVC(swfUrl); SAVC(tcUrl); SAVC(fpad);
SAVC(capabilities); SAVC(audioCodecs); SAVC(videoCodecs); SAVC(videoFunction); SAVC(pageUrl);
SAVC(objectEncoding); SAVC(onMetaData); SAVC(duration); SAVC(width); SAVC(height);
SAVC(videodatarate); SAVC(framerate); SAVC(videocodecid); SAVC(audiodatarate);
SAVC(audiosamplerate); SAVC(audiosamplesize); SAVC(stereo); SAVC(audiocodecid); SAVC(encoder);
SAVC(filesize); SAVC(major_brand); SAVC(minor_version); SAVC(compatible_brands);

static AVal v_app = {(char *)"live", 4}, v_fv = {(char *)"LNX 10,0,32,18", 14},
            v_swf = {(char *)"http://example.com/player.swf", 29},
            v_tc = {(char *)"rtmp://example.com:1935/live", 28},
            v_page = {(char *)"http://example.com/watch", 24}, v_enc = {(char *)"Lavf58.76.100", 13},
            v_mb = {(char *)"isom", 4}, v_mv = {(char *)"512", 3},
            v_cb = {(char *)"isomiso2avc1mp41", 16};

static char *encode_connect(char *enc, char *end)
{
    enc = AMF_EncodeString(enc, end, &av_connect);
    enc = AMF_EncodeNumber(enc, end, 1.0);
    *enc++ = AMF_OBJECT;
    enc = AMF_EncodeNamedString(enc, end, &av_app, &v_app);
    enc = AMF_EncodeNamedString(enc, end, &av_flashVer, &v_fv);
    enc = AMF_EncodeNamedString(enc, end, &av_swfUrl, &v_swf);
    enc = AMF_EncodeNamedString(enc, end, &av_tcUrl, &v_tc);
    enc = AMF_EncodeNamedBoolean(enc, end, &av_fpad, 0);
    enc = AMF_EncodeNamedNumber(enc, end, &av_capabilities, 15.0);
    enc = AMF_EncodeNamedNumber(enc, end, &av_audioCodecs, 3191.0);
    enc = AMF_EncodeNamedNumber(enc, end, &av_videoCodecs, 252.0);
    enc = AMF_EncodeNamedNumber(enc, end, &av_videoFunction, 1.0);
    enc = AMF_EncodeNamedString(enc, end, &av_pageUrl, &v_page);
    enc = AMF_EncodeNamedNumber(enc, end, &av_objectEncoding, 0.0);
    enc = AMF_EncodeInt24(enc, end, AMF_OBJECT_END);
    return enc;
}

static void add(AMFObject *o, AVal *name, int type, double num, AVal *str)
{
    AMFObjectProperty p;
    memset(&p, 0, sizeof p);
    p.p_name = *name;
    p.p_type = type;
    if (str)
        p.p_vu.p_aval = *str;
    else
        p.p_vu.p_number = num;
    AMF_AddProp(o, &p);
}

static char *encode_metadata(AMFObject *meta, char *enc, char *end)
{
    enc = AMF_EncodeString(enc, end, &av_onMetaData);
    return AMF_EncodeEcmaArray(meta, enc, end);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile long sink;
static char buf[4096], mbuf[4096], out[4096];
static int clen, mlen;
static AMFObject meta = {0, NULL};

/* One loop per operation, not inlined, so that an instruction counter can measure each alone:
 *   valgrind --tool=callgrind --toggle-collect=loop_metadata_encode bench_amf 1000 metadata_encode
 * gives instructions per operation as the collected total / 1000. */
__attribute__((noinline)) static void loop_metadata_encode(long iters)
{
    for (long i = 0; i < iters; i++) {
        sink += encode_metadata(&meta, out, out + sizeof out) - out;
        __asm__ volatile("" ::: "memory");
    }
}

__attribute__((noinline)) static void loop_metadata_decode(long iters)
{
    for (long i = 0; i < iters; i++) {
        AMFObject o;
        sink += AMF_Decode(&o, mbuf, mlen, FALSE);
        AMF_Reset(&o);
    }
}

__attribute__((noinline)) static void loop_connect_encode(long iters)
{
    for (long i = 0; i < iters; i++) {
        sink += encode_connect(out, out + sizeof out) - out;
        __asm__ volatile("" ::: "memory");
    }
}

__attribute__((noinline)) static void loop_connect_decode(long iters)
{
    for (long i = 0; i < iters; i++) {
        AMFObject o;
        sink += AMF_Decode(&o, buf, clen, FALSE);
        AMF_Reset(&o);
    }
}

static const struct {
    const char *name;
    void (*run)(long);
} ops[] = {
    {"metadata_encode", loop_metadata_encode},
    {"metadata_decode", loop_metadata_decode},
    {"connect_encode", loop_connect_encode},
    {"connect_decode", loop_connect_decode},
};

/* usage: bench_amf [ITERATIONS] [OP]: prints "<op> <ns/op>" for every operation (or only OP) */
int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    const char *only = argc > 2 ? argv[2] : NULL;
    add(&meta, &av_duration, AMF_NUMBER, 596.458, NULL);
    add(&meta, &av_width, AMF_NUMBER, 1280, NULL);
    add(&meta, &av_height, AMF_NUMBER, 720, NULL);
    add(&meta, &av_videodatarate, AMF_NUMBER, 1500.7, NULL);
    add(&meta, &av_framerate, AMF_NUMBER, 29.97, NULL);
    add(&meta, &av_videocodecid, AMF_NUMBER, 7, NULL);
    add(&meta, &av_audiodatarate, AMF_NUMBER, 125, NULL);
    add(&meta, &av_audiosamplerate, AMF_NUMBER, 44100, NULL);
    add(&meta, &av_audiosamplesize, AMF_NUMBER, 16, NULL);
    add(&meta, &av_stereo, AMF_BOOLEAN, 1, NULL);
    add(&meta, &av_audiocodecid, AMF_NUMBER, 10, NULL);
    add(&meta, &av_major_brand, AMF_STRING, 0, &v_mb);
    add(&meta, &av_minor_version, AMF_STRING, 0, &v_mv);
    add(&meta, &av_compatible_brands, AMF_STRING, 0, &v_cb);
    add(&meta, &av_encoder, AMF_STRING, 0, &v_enc);
    add(&meta, &av_filesize, AMF_NUMBER, 112233445, NULL);

    clen = (int)(encode_connect(buf, buf + sizeof buf) - buf);
    mlen = (int)(encode_metadata(&meta, mbuf, mbuf + sizeof mbuf) - mbuf);
    RTMP_LogSetLevel(RTMP_LOGERROR);

    /* warm up */
    loop_metadata_decode(iters / 10);
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        if (only && strcmp(only, ops[k].name) != 0)
            continue;
        double t0 = now();
        ops[k].run(iters);
        printf("%s %.1f\n", ops[k].name, (now() - t0) / iters);
    }
    AMF_Reset(&meta);
    return 0;
}
