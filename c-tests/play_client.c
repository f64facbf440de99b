/* A minimal playing client on the public librtmp API, for the hostile-server scenarios of
 * c-tests/integration/rtmpe.sh and rtmpt.sh, which build it with AddressSanitizer (+ LeakSanitizer,
 * UBSan) against our build/lib: every failure path of the library is then also checked for memory
 * errors and leaks of what it allocates with malloc.
 *
 *   play_client URL [TIMEOUT]
 *
 * RTMP_Alloc, RTMP_Init, RTMP_SetupURL, Link.timeout = TIMEOUT (default 3), RTMP_Connect,
 * RTMP_ConnectStream, RTMP_Read until it returns 0 or less, RTMP_Close, RTMP_Free. The library's
 * log (ERROR level) goes to stderr; one line on stdout: "connect=0|1 stream=0|1 bytes=N read=R"
 * (R the last RTMP_Read result). Exit 0 when the stream was read to its end, 1 when the connect
 * or the stream failed, 2 when a read failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librtmp/log.h>
#include <librtmp/rtmp.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: play_client URL [TIMEOUT]\n");
		return 64;
	}
	RTMP *r = RTMP_Alloc();
	if (!r)
		return 70;
	RTMP_Init(r);
	/* RTMP_SetupURL keeps pointers into the string it parses: it must outlive the session */
	char *url = strdup(argv[1]);
	if (!url || !RTMP_SetupURL(r, url)) {
		printf("connect=0 stream=0 bytes=0 read=0\n");
		RTMP_Free(r);
		free(url);
		return 1;
	}
	r->Link.timeout = argc > 2 ? atoi(argv[2]) : 3;
	int connected = RTMP_Connect(r, NULL);
	int streaming = connected && RTMP_ConnectStream(r, 0);
	long long total = 0;
	int n = 0;
	if (streaming) {
		char buf[65536];
		while ((n = RTMP_Read(r, buf, sizeof buf)) > 0)
			total += n;
	}
	int complete = r->m_read.status == RTMP_READ_COMPLETE;
	printf("connect=%d stream=%d bytes=%lld read=%d\n", connected, streaming, total, n);
	RTMP_Close(r);
	RTMP_Free(r);
	free(url);
	if (!streaming)
		return 1;
	return n == 0 && complete ? 0 : 2;
}
