/* Connects once with the URL (and RTMP_SetupURL options) given, for ertmp.sh's connect
 * captures: prints what RTMP_SetupURL / RTMP_SetOpt / RTMP_Connect returned, then closes and
 * frees the handle (so valgrind sees the whole life of the options).
 *
 *   ertmp_client [-w] [-o NAME=VALUE]... URL
 *     -w   publish (RTMP_EnableWrite), else play
 *     -o   one RTMP_SetOpt call after RTMP_SetupURL
 * Exit: 0 connected, 1 RTMP_Connect failed, 3 RTMP_SetupURL failed, 4 RTMP_SetOpt failed,
 * 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

#define MAX_OPTS 16

int main(int argc, char **argv) {
    int write = 0, nopts = 0, c, rc = 0;
    char *opts[MAX_OPTS];
    while ((c = getopt(argc, argv, "wo:")) != -1) {
        if (c == 'w') {
            write = 1;
        } else if (c == 'o' && nopts < MAX_OPTS) {
            opts[nopts++] = optarg;
        } else {
            return 2;
        }
    }
    if (optind != argc - 1)
        return 2;
    char *url = strdup(argv[optind]);
    RTMP_LogSetLevel(RTMP_LOGINFO);
    RTMP *r = RTMP_Alloc();
    RTMP_Init(r);
    r->Link.timeout = 5;
    if (!RTMP_SetupURL(r, url)) {
        printf("RTMP_SetupURL: FALSE\n");
        rc = 3;
        goto out;
    }
    for (int i = 0; i < nopts; i++) {
        char *eq = strchr(opts[i], '=');
        if (!eq) {
            rc = 2;
            goto out;
        }
        *eq = 0;
        AVal name = {opts[i], (int)strlen(opts[i])};
        AVal value = {eq + 1, (int)strlen(eq + 1)};
        if (!RTMP_SetOpt(r, &name, &value)) {
            printf("RTMP_SetOpt %s: FALSE\n", opts[i]);
            rc = 4;
            goto out;
        }
    }
    if (write)
        RTMP_EnableWrite(r);
    if (RTMP_Connect(r, NULL)) {
        printf("RTMP_Connect: TRUE\n");
    } else {
        printf("RTMP_Connect: FALSE\n");
        rc = 1;
    }
out:
    RTMP_Close(r);
    RTMP_Free(r);
    free(url);
    return rc;
}
