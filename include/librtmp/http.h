/*
 * librtmp/http.h - the minimal HTTP(S) GET client of librtmp-rs (used for
 * SWF verification, see RTMP_HashSWF in rtmp.h).
 *
 * librtmp-rs is an independent Rust implementation of the librtmp 2.4 C
 * interface.  This header was written for librtmp-rs; it exposes the same
 * names, types and values as librtmp 2.4.  Licence: MIT (see Cargo.toml).
 */
#ifndef __RTMP_HTTP_H__
#define __RTMP_HTTP_H__

#include <stddef.h>   /* size_t */

#ifdef __cplusplus
extern "C" {
#endif

/* Outcome of HTTP_get. */
typedef enum {
    HTTPRES_OK = 0,               /* 2xx: body delivered */
    HTTPRES_OK_NOT_MODIFIED = 1,  /* 304: cached copy still valid, no body */
    HTTPRES_NOT_FOUND = 2,        /* 404 */
    HTTPRES_BAD_REQUEST = 3,      /* other 4xx */
    HTTPRES_SERVER_ERROR = 4,     /* 5xx */
    HTTPRES_REDIRECTED = 5,       /* 3xx other than 304 */
    HTTPRES_LOST_CONNECTION = 6   /* body shorter than announced */
} HTTPResult;

/* Request/response state, owned by the caller.
 *   date   - in: If-Modified-Since value (writable buffer, may be empty);
 *            out: the Last-Modified value of the reply
 *   size   - out: number of body bytes delivered
 *   status - out: numeric HTTP status (-1 until a status line is read)
 *   data   - passed unchanged as the last argument of the callback      */
struct HTTP_ctx {
    char *date;
    int size;
    int status;
    void *data;
};

/* Body sink, fwrite()-shaped (a function type; HTTP_get takes a pointer). */
typedef size_t (HTTP_read_callback)(void *chunk, size_t item_size,
                                    size_t item_count, void *user_data);

HTTPResult HTTP_get(struct HTTP_ctx *ctx, const char *url,
                    HTTP_read_callback *sink);

#ifdef __cplusplus
}
#endif

#endif /* __RTMP_HTTP_H__ */
