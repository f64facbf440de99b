/* Session setup on our library only: the inputs diff_url.c leaves out because librtmp 2.4
 * deviates there on purpose (IPv6 literals) or is undefined (uninitialised escapes, reads
 * before a play path, NULL arguments). See docs/compat.md, Session setup. */
#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#include "common.h"

static int aval_is(const AVal *a, const char *s)
{
    return a->av_val && a->av_len == (int)strlen(s) && memcmp(a->av_val, s, a->av_len) == 0;
}

static void ipv6(void)
{
    char url[] = "rtmp://[::1]:1940/app/s.mp4";
    char url2[] = "rtmp://[fe80::1]/live/x app=other socks=[::1]:1081";
    char url3[] = "rtmp://[::1]/live conn=S:x";
    int proto = -1;
    unsigned int port = 0;
    AVal host = {0, 0}, pp = {0, 0}, app = {0, 0};
    RTMP *r;

    CHECK(RTMP_ParseURL(url, &proto, &host, &port, &pp, &app) == 1, "parse");
    CHECK(aval_is(&host, "::1") && host.av_val == url + 8, "host %.*s", host.av_len, host.av_val);
    CHECK(port == 1940, "port %u", port);
    CHECK(aval_is(&app, "app") && aval_is(&pp, "mp4:s"), "app/playpath");
    free(pp.av_val);

    r = RTMP_Alloc();
    RTMP_Init(r);
    CHECK(RTMP_SetupURL(r, url2) == 1, "setup");
    CHECK(aval_is(&r->Link.hostname, "fe80::1"), "hostname");
    CHECK(r->Link.port == 1935, "default port %u", r->Link.port);
    CHECK(aval_is(&r->Link.tcUrl, "rtmp://[fe80::1]:0/other"), "tcUrl %.*s", r->Link.tcUrl.av_len,
          r->Link.tcUrl.av_val);
    CHECK(aval_is(&r->Link.sockshost, "::1") && r->Link.socksport == 1081, "socks");
    free(r->Link.playpath0.av_val);
    free(r->Link.tcUrl.av_val);
    free(r->Link.sockshost.av_val);
    RTMP_Init(r);
    CHECK(RTMP_SetupURL(r, url3) == 1, "setup 3");
    CHECK(aval_is(&r->Link.tcUrl, "rtmp://[::1]/live"), "tcUrl from URL keeps the brackets");
    free(r->Link.extras.o_props);
    RTMP_Free(r);
}

static void undefined_in_reference(void)
{
    AVal in, out;
    char url[] = "rtmp://h/app/a%zzb%";
    char url2[] = "rtmp://h/app/s pageUrl=a\\zzb";
    int proto;
    unsigned int port;
    AVal host = {0, 0}, pp, app;
    RTMP *r;

    /* a '?' within the first four characters: no look before the string */
    in.av_val = (char *)"ab?cdefg";
    in.av_len = 8;
    RTMP_ParsePlaypath(&in, &out);
    CHECK(aval_is(&out, "ab?cdefg"), "playpath %.*s", out.av_len, out.av_val);
    free(out.av_val);
    /* NULL input: empty result, no crash */
    in.av_val = NULL;
    in.av_len = 3;
    RTMP_ParsePlaypath(&in, &out);
    CHECK(out.av_val == NULL && out.av_len == 0, "NULL in");
    /* escapes that do not convert keep the escape character */
    CHECK(RTMP_ParseURL(url, &proto, &host, &port, &pp, &app) == 1, "parse");
    CHECK(pp.av_len == 4 && memcmp(pp.av_val, "a%b%", 4) == 0, "%%zz: %.*s", pp.av_len, pp.av_val);
    free(pp.av_val);
    r = RTMP_Alloc();
    RTMP_Init(r);
    CHECK(RTMP_SetupURL(r, url2) == 1, "setup");
    CHECK(aval_is(&r->Link.pageUrl, "a\\b"), "pageUrl %.*s", r->Link.pageUrl.av_len,
          r->Link.pageUrl.av_val);
    free(r->Link.playpath0.av_val);
    RTMP_Free(r);
    /* NULL arguments are refused, not dereferenced */
    CHECK(RTMP_ParseURL(NULL, &proto, &host, &port, &pp, &app) == 0, "NULL url");
    CHECK(RTMP_ParseURL(url, NULL, &host, &port, &pp, &app) == 0, "NULL output");
    CHECK(RTMP_SetupURL(NULL, url) == 0, "NULL handle");
    r = RTMP_Alloc();
    RTMP_Init(r);
    CHECK(RTMP_SetupURL(r, NULL) == 0, "NULL url");
    CHECK(RTMP_SetOpt(r, NULL, &in) == 0, "NULL option");
    RTMP_Free(r);
}

static void no_network_for_swfvfy(void)
{
    char url[] = "rtmp://h/app/s swfVfy=1 swfUrl=http://192.0.2.1/x.swf";
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    CHECK(RTMP_SetupURL(r, url) == 1, "setup");
    CHECK(r->Link.lFlags & RTMP_LF_SWFV, "flag");
    CHECK(r->Link.SWFSize == 0, "no hash");
    free(r->Link.playpath0.av_val);
    RTMP_Free(r);
}

int main(void)
{
    RTMP_LogSetLevel(RTMP_LOGCRIT);
    ipv6();
    undefined_in_reference();
    no_network_for_swfvfy();
    return test_summary("test_url");
}
