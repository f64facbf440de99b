/*
 * librtmp/rtmp.h - RTMP client/server session API of librtmp-rs.
 *
 * librtmp-rs is an independent Rust implementation of the librtmp 2.4 C
 * interface.  This header was written for librtmp-rs; it exposes the same
 * names, types, constants and struct layouts as librtmp 2.4, so programs
 * built against that library work with this one.  Licence: MIT (see
 * Cargo.toml).
 *
 * Binary-interface notes:
 *  - The structs below are allocated, embedded and inspected by callers, so
 *    their field order, types and sizes are frozen.  With CRYPTO defined
 *    (the default) sizeof(RTMP) is 17088 on x86-64.
 *  - CRYPTO is defined here unless the includer defines NO_CRYPTO.  Doing
 *    so removes the encryption/SWF-verification members from RTMP_LNK and
 *    does NOT match the shipped library; it exists for source parity only.
 *  - For logging include <librtmp/log.h>; for HTTP_get <librtmp/http.h>.
 */
#ifndef __RTMP_H__
#define __RTMP_H__

#if !defined(CRYPTO) && !defined(NO_CRYPTO)
#define CRYPTO
#endif

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "amf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ========================================================================
 * Constants
 * ======================================================================== */

/* Interface version reported by RTMP_LibVersion(): 2.3.0 encoded 0xMMmmpp. */
#define RTMP_LIB_VERSION 0x020300

/* Transport feature bits; a protocol number is a combination of them. */
#define RTMP_FEATURE_HTTP  0x01   /* tunnelled over HTTP (rtmpt) */
#define RTMP_FEATURE_ENC   0x02   /* RTMPE encryption */
#define RTMP_FEATURE_SSL   0x04   /* TLS */
#define RTMP_FEATURE_MFP   0x08   /* RTMFP (a scheme name; no RTMFP transport) */
#define RTMP_FEATURE_WRITE 0x10   /* publishing rather than playing */
#define RTMP_FEATURE_HTTP2 0x20   /* server side of an HTTP tunnel */

/* Values of RTMP_LNK.protocol (index into RTMPProtocolStringsLower). */
#define RTMP_PROTOCOL_UNDEFINED (-1)
#define RTMP_PROTOCOL_RTMP      0
#define RTMP_PROTOCOL_RTMPT     RTMP_FEATURE_HTTP
#define RTMP_PROTOCOL_RTMPE     RTMP_FEATURE_ENC
#define RTMP_PROTOCOL_RTMPTE    (RTMP_FEATURE_ENC | RTMP_FEATURE_HTTP)
#define RTMP_PROTOCOL_RTMPS     RTMP_FEATURE_SSL
#define RTMP_PROTOCOL_RTMPTS    (RTMP_FEATURE_SSL | RTMP_FEATURE_HTTP)
#define RTMP_PROTOCOL_RTMFP     RTMP_FEATURE_MFP

/* Chunk stream defaults and limits. */
#define RTMP_DEFAULT_CHUNKSIZE 128
#define RTMP_CHANNELS          65600
#define RTMP_MAX_HEADER_SIZE   18    /* longest possible chunk header */
#define RTMP_BUFFER_CACHE_SIZE (16 * 1024)   /* socket read buffer */

/* Chunk header formats (RTMPPacket.m_headerType): 12, 8, 4 or 1 bytes. */
#define RTMP_PACKET_SIZE_LARGE   0
#define RTMP_PACKET_SIZE_MEDIUM  1
#define RTMP_PACKET_SIZE_SMALL   2
#define RTMP_PACKET_SIZE_MINIMUM 3

/* Message type ids (RTMPPacket.m_packetType).  Ids 0x02, 0x07, 0x0A-0x0E
 * and 0x15 have no name in this API. */
#define RTMP_PACKET_TYPE_CHUNK_SIZE         0x01
#define RTMP_PACKET_TYPE_BYTES_READ_REPORT  0x03
#define RTMP_PACKET_TYPE_CONTROL            0x04
#define RTMP_PACKET_TYPE_SERVER_BW          0x05
#define RTMP_PACKET_TYPE_CLIENT_BW          0x06
#define RTMP_PACKET_TYPE_AUDIO              0x08
#define RTMP_PACKET_TYPE_VIDEO              0x09
#define RTMP_PACKET_TYPE_FLEX_STREAM_SEND   0x0F
#define RTMP_PACKET_TYPE_FLEX_SHARED_OBJECT 0x10
#define RTMP_PACKET_TYPE_FLEX_MESSAGE       0x11
#define RTMP_PACKET_TYPE_INFO               0x12
#define RTMP_PACKET_TYPE_SHARED_OBJECT      0x13
#define RTMP_PACKET_TYPE_INVOKE             0x14
#define RTMP_PACKET_TYPE_FLASH_VIDEO        0x16

/* Bits of RTMP_LNK.lFlags. */
#define RTMP_LF_AUTH 0x0001   /* authentication string present */
#define RTMP_LF_LIVE 0x0002   /* live stream: no seeking or resuming */
#define RTMP_LF_SWFV 0x0004   /* perform SWF verification */
#define RTMP_LF_PLST 0x0008   /* send a playlist before play */
#define RTMP_LF_BUFX 0x0010   /* toggle pause on a BufferEmpty notice */
#define RTMP_LF_FTCU 0x0020   /* Link.tcUrl is owned (freed on close) */
#define RTMP_LF_FAPU 0x0040   /* Link.app is owned (freed on close) */

/* Bits of RTMP_READ.flags. */
#define RTMP_READ_HEADER    0x01   /* FLV file header already produced */
#define RTMP_READ_RESUME    0x02   /* resuming a partial download */
#define RTMP_READ_NO_IGNORE 0x04
#define RTMP_READ_GOTKF     0x08   /* resume keyframe found */
#define RTMP_READ_GOTFLVK   0x10
#define RTMP_READ_SEEKING   0x20

/* Values of RTMP_READ.status. */
#define RTMP_READ_IGNORE   0
#define RTMP_READ_EOF      (-1)
#define RTMP_READ_ERROR    (-2)
#define RTMP_READ_COMPLETE (-3)

#ifdef CRYPTO
/* Length of an HMAC-SHA256 SWF hash (RTMP_LNK.SWFHash). */
#define RTMP_SWF_HASHLEN 32
#endif

/* ========================================================================
 * Packets and chunks
 * ======================================================================== */

/* One raw chunk, as handed to RTMP_SendChunk. */
typedef struct RTMPChunk {
    int c_headerSize;
    int c_chunkSize;
    char *c_chunk;
    char c_header[RTMP_MAX_HEADER_SIZE];
} RTMPChunk;

/* One RTMP message.  m_body points RTMP_MAX_HEADER_SIZE bytes into a block
 * from RTMPPacket_Alloc; the library writes chunk headers into that
 * reserved space in front of the body when sending. */
typedef struct RTMPPacket {
    uint8_t m_headerType;       /* RTMP_PACKET_SIZE_* */
    uint8_t m_packetType;       /* RTMP_PACKET_TYPE_* */
    uint8_t m_hasAbsTimestamp;  /* m_nTimeStamp is absolute, not a delta */
    int m_nChannel;             /* chunk stream id */
    uint32_t m_nTimeStamp;
    int32_t m_nInfoField2;      /* message stream id */
    uint32_t m_nBodySize;
    uint32_t m_nBytesRead;      /* body bytes received so far */
    RTMPChunk *m_chunk;         /* when non-NULL, receives the raw chunk */
    char *m_body;
} RTMPPacket;

/* True once every body byte of a packet being read has arrived. */
#define RTMPPacket_IsReady(a) ((a)->m_nBytesRead == (a)->m_nBodySize)

int RTMPPacket_Alloc(RTMPPacket *packet, uint32_t body_size);
void RTMPPacket_Free(RTMPPacket *packet);
void RTMPPacket_Reset(RTMPPacket *packet);
void RTMPPacket_Dump(RTMPPacket *packet);

/* ========================================================================
 * Session state
 * ======================================================================== */

/* Buffered socket (or TLS session). */
typedef struct RTMPSockBuf {
    int sb_socket;                        /* file descriptor, -1 if closed */
    int sb_size;                          /* buffered bytes not yet consumed */
    char *sb_start;                       /* first unconsumed byte in sb_buf */
    char sb_buf[RTMP_BUFFER_CACHE_SIZE];
    int sb_timedout;
    void *sb_ssl;                         /* TLS session, if any */
} RTMPSockBuf;

/* Connection parameters (mostly set from the URL and RTMP_SetOpt). */
typedef struct RTMP_LNK {
    AVal hostname;
    AVal sockshost;
    AVal playpath0;        /* playpath taken from the URL (library owned) */
    AVal playpath;         /* playpath in use */
    AVal tcUrl;
    AVal swfUrl;
    AVal pageUrl;
    AVal app;
    AVal auth;
    AVal flashVer;
    AVal subscribepath;
    AVal usherToken;
    AVal token;
    AVal pubUser;
    AVal pubPasswd;
    AMFObject extras;      /* extra connect arguments ("conn" option) */
    int edepth;
    int seekTime;          /* milliseconds */
    int stopTime;          /* milliseconds */
    int lFlags;            /* RTMP_LF_* */
    int swfAge;            /* days before a cached SWF hash is rechecked */
    int protocol;          /* RTMP_PROTOCOL_* */
    int timeout;           /* seconds */
    int pFlags;            /* unused, present for layout compatibility */
    unsigned short socksport;
    unsigned short port;
#ifdef CRYPTO
    void *dh;              /* Diffie-Hellman state of the RTMPE handshake */
    void *rc4keyIn;
    void *rc4keyOut;
    uint32_t SWFSize;
    uint8_t SWFHash[RTMP_SWF_HASHLEN];
    char SWFVerificationResponse[RTMP_SWF_HASHLEN + 10];
#endif
} RTMP_LNK;

/* State of the FLV-producing reader (RTMP_Read) and of resuming. */
typedef struct RTMP_READ {
    char *buf;
    char *bufpos;
    unsigned int buflen;
    uint32_t timestamp;
    uint8_t dataType;
    uint8_t flags;              /* RTMP_READ_HEADER ... RTMP_READ_SEEKING */
    int8_t status;              /* RTMP_READ_IGNORE ... RTMP_READ_COMPLETE */
    uint8_t initialFrameType;   /* the fields from here on serve resuming */
    uint32_t nResumeTS;
    char *metaHeader;
    char *initialFrame;
    uint32_t nMetaHeaderSize;
    uint32_t nInitialFrameSize;
    uint32_t nIgnoredFrameCounter;
    uint32_t nIgnoredFlvFrameCounter;
} RTMP_READ;

/* An outstanding remote call awaiting its _result. */
typedef struct RTMP_METHOD {
    AVal name;
    int num;
} RTMP_METHOD;

/* A session handle.  Callers may allocate it themselves (then call
 * RTMP_Init) and may read or write the fields between calls. */
typedef struct RTMP {
    int m_inChunkSize;
    int m_outChunkSize;
    int m_nBWCheckCounter;
    int m_nBytesIn;
    int m_nBytesInSent;
    int m_nBufferMS;
    int m_stream_id;                /* from the createStream reply */
    int m_mediaChannel;
    uint32_t m_mediaStamp;
    uint32_t m_pauseStamp;
    int m_pausing;
    int m_nServerBW;
    int m_nClientBW;
    uint8_t m_nClientBW2;
    uint8_t m_bPlaying;
    uint8_t m_bSendEncoding;
    uint8_t m_bSendCounter;
    int m_numInvokes;
    int m_numCalls;
    RTMP_METHOD *m_methodCalls;     /* queue of m_numCalls pending calls */
    int m_channelsAllocatedIn;
    int m_channelsAllocatedOut;
    RTMPPacket **m_vecChannelsIn;   /* last header seen per chunk stream */
    RTMPPacket **m_vecChannelsOut;
    int *m_channelTimestamp;
    double m_fAudioCodecs;          /* sent in the connect command */
    double m_fVideoCodecs;
    double m_fEncoding;             /* object encoding: 0 = AMF0, 3 = AMF3 */
    double m_fDuration;             /* seconds, from onMetaData */
    int m_msgCounter;               /* HTTP tunnelling state ... */
    int m_polling;
    int m_resplen;
    int m_unackd;
    AVal m_clientID;                /* ... down to here */
    RTMP_READ m_read;
    RTMPPacket m_write;             /* staging packet of RTMP_Write */
    RTMPSockBuf m_sb;
    RTMP_LNK Link;
} RTMP;

/* ========================================================================
 * Exported data
 * ======================================================================== */

/* Lower-case URL scheme names indexed by RTMP_PROTOCOL_* (empty if none). */
extern const char RTMPProtocolStringsLower[][7];
/* flashVer sent when none was configured. */
extern const AVal RTMP_DefaultFlashVer;
/* Set by RTMP_UserInterrupt(); makes blocking loops give up. */
extern int RTMP_ctrlC;

/* ========================================================================
 * Functions
 * ======================================================================== */

/* --- Handle lifecycle --------------------------------------------------- */
RTMP *RTMP_Alloc(void);
void RTMP_Init(RTMP *rtmp);
void RTMP_Close(RTMP *rtmp);
void RTMP_Free(RTMP *rtmp);

int RTMP_LibVersion(void);
uint32_t RTMP_GetTime(void);      /* milliseconds, arbitrary epoch */
void RTMP_UserInterrupt(void);

/* --- Configuration ------------------------------------------------------ */
int RTMP_ParseURL(const char *url, int *protocol, AVal *host,
                  unsigned int *port, AVal *playpath, AVal *app);
void RTMP_ParsePlaypath(AVal *in, AVal *out);

/* RTMP_SetupURL edits url in place and keeps pointers into it. */
int RTMP_SetupURL(RTMP *rtmp, char *url);
int RTMP_SetOpt(RTMP *rtmp, const AVal *option, AVal *value);
void RTMP_SetupStream(RTMP *rtmp, int protocol, AVal *host, unsigned int port,
                      AVal *sockshost, AVal *playpath, AVal *tcUrl,
                      AVal *swfUrl, AVal *pageUrl, AVal *app, AVal *auth,
                      AVal *swfSHA256Hash, uint32_t swfSize, AVal *flashVer,
                      AVal *subscribepath, AVal *usherToken, int dStart,
                      int dStop, int bLiveStream, long timeout);
void RTMP_EnableWrite(RTMP *rtmp);
void RTMP_SetBufferMS(RTMP *rtmp, int milliseconds);
void RTMP_UpdateBufferMS(RTMP *rtmp);

/* --- Connecting --------------------------------------------------------- */
struct sockaddr;

int RTMP_Connect(RTMP *rtmp, RTMPPacket *connect_packet);
int RTMP_Connect0(RTMP *rtmp, struct sockaddr *address);
int RTMP_Connect1(RTMP *rtmp, RTMPPacket *connect_packet);
int RTMP_ConnectStream(RTMP *rtmp, int seek_ms);
int RTMP_ReconnectStream(RTMP *rtmp, int seek_ms);
void RTMP_DeleteStream(RTMP *rtmp);

int RTMP_IsConnected(RTMP *rtmp);
int RTMP_IsTimedout(RTMP *rtmp);
int RTMP_Socket(RTMP *rtmp);
double RTMP_GetDuration(RTMP *rtmp);

/* Server side. */
int RTMP_Serve(RTMP *rtmp);
int RTMP_TLS_Accept(RTMP *rtmp, void *server_ctx);
void *RTMP_TLS_AllocServerContext(const char *cert_file, const char *key_file);
void RTMP_TLS_FreeServerContext(void *server_ctx);

/* --- Stream control ----------------------------------------------------- */
int RTMP_Pause(RTMP *rtmp, int pause);
int RTMP_SendPause(RTMP *rtmp, int pause, int position_ms);
int RTMP_ToggleStream(RTMP *rtmp);
int RTMP_SendSeek(RTMP *rtmp, int position_ms);
int RTMP_SendCreateStream(RTMP *rtmp);
int RTMP_SendServerBW(RTMP *rtmp);
int RTMP_SendClientBW(RTMP *rtmp);
int RTMP_SendCtrl(RTMP *rtmp, short type, unsigned int object,
                  unsigned int time);
void RTMP_DropRequest(RTMP *rtmp, int index, int free_name);

/* --- Messages ----------------------------------------------------------- */
int RTMP_ReadPacket(RTMP *rtmp, RTMPPacket *packet);
int RTMP_GetNextMediaPacket(RTMP *rtmp, RTMPPacket *packet);
int RTMP_ClientPacket(RTMP *rtmp, RTMPPacket *packet);
int RTMP_SendPacket(RTMP *rtmp, RTMPPacket *packet, int queue);
int RTMP_SendChunk(RTMP *rtmp, RTMPChunk *chunk);

/* --- FLV byte-stream interface ------------------------------------------ */
int RTMP_Read(RTMP *rtmp, char *buf, int size);
int RTMP_Write(RTMP *rtmp, const char *buf, int size);

/* --- Helpers ------------------------------------------------------------ */
int RTMP_FindFirstMatchingProperty(AMFObject *obj, const AVal *name,
                                   AMFObjectProperty *found);

int RTMPSockBuf_Fill(RTMPSockBuf *sb);
int RTMPSockBuf_Send(RTMPSockBuf *sb, const char *buf, int len);
int RTMPSockBuf_Close(RTMPSockBuf *sb);

/* SWF verification: size and 32-byte HMAC-SHA256 of the SWF at url, cached
 * in ~/.swfinfo for age days.  Returns 0 on success. */
int RTMP_HashSWF(const char *url, unsigned int *size, unsigned char *hash,
                 int age);

#ifdef __cplusplus
}
#endif

#endif /* __RTMP_H__ */
