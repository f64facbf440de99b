/*
 * prototypes_test.c - the declarations in the include/librtmp headers have exactly
 * the librtmp 2.4 signatures.
 *
 * Every exported function of symbols.txt (and the four AMFProp_Set* that
 * the headers declare without the library exporting them) is assigned to a
 * pointer whose type is written out below, independently of our headers,
 * from the librtmp 2.4 prototypes.  Any difference in a parameter or return
 * type (including const-ness of pointees and enum vs int) is an
 * "incompatible pointer type" diagnostic, i.e. an error under -Werror.  The
 * exported data objects are checked the same way through their addresses.
 *
 * Compile only (it need not link):
 *   gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c c-tests/prototypes_test.c
 *   g++ -Wall -Wextra -Werror -Iinclude -x c++ -c c-tests/prototypes_test.c
 * Dropping -Iinclude checks the system (original) headers instead.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <librtmp/rtmp.h>
#include <librtmp/amf.h>
#include <librtmp/log.h>
#include <librtmp/http.h>

/* Exported but declared by no public header: declarations as in the notes
 * of symbols.txt. */
#ifdef __cplusplus
extern "C" {
#endif
extern const char RTMPProtocolStrings[][7];
extern void *RTMP_TLS_ctx;
void RTMP_TLS_Init(void);
int RTMP_FindPrefixProperty(AMFObject *obj, const AVal *name, AMFObjectProperty *p);
int AMF3ReadInteger(const char *data, int32_t *valp);
int AMF3ReadString(const char *data, AVal *str);
#ifdef __cplusplus
}
#endif

/* ---- data objects (6) ---- */
const AVal *d_RTMP_DefaultFlashVer = &RTMP_DefaultFlashVer;
const char (*d_RTMPProtocolStrings)[7] = RTMPProtocolStrings;
const char (*d_RTMPProtocolStringsLower)[7] = RTMPProtocolStringsLower;
void **d_RTMP_TLS_ctx = &RTMP_TLS_ctx;
int *d_RTMP_ctrlC = &RTMP_ctrlC;
RTMP_LogLevel *d_RTMP_debuglevel = &RTMP_debuglevel;

/* ---- amf.h (42) ---- */
void (*p_AMF3CD_AddProp)(AMF3ClassDef *, AVal *) = AMF3CD_AddProp;
AVal *(*p_AMF3CD_GetProp)(AMF3ClassDef *, int) = AMF3CD_GetProp;
int (*p_AMF3Prop_Decode)(AMFObjectProperty *, const char *, int, int) = AMF3Prop_Decode;
int (*p_AMF3_Decode)(AMFObject *, const char *, int, int) = AMF3_Decode;
int (*p_AMFProp_Decode)(AMFObjectProperty *, const char *, int, int) = AMFProp_Decode;
void (*p_AMFProp_Dump)(AMFObjectProperty *) = AMFProp_Dump;
char *(*p_AMFProp_Encode)(AMFObjectProperty *, char *, char *) = AMFProp_Encode;
int (*p_AMFProp_GetBoolean)(AMFObjectProperty *) = AMFProp_GetBoolean;
void (*p_AMFProp_GetName)(AMFObjectProperty *, AVal *) = AMFProp_GetName;
double (*p_AMFProp_GetNumber)(AMFObjectProperty *) = AMFProp_GetNumber;
void (*p_AMFProp_GetObject)(AMFObjectProperty *, AMFObject *) = AMFProp_GetObject;
void (*p_AMFProp_GetString)(AMFObjectProperty *, AVal *) = AMFProp_GetString;
AMFDataType (*p_AMFProp_GetType)(AMFObjectProperty *) = AMFProp_GetType;
int (*p_AMFProp_IsValid)(AMFObjectProperty *) = AMFProp_IsValid;
void (*p_AMFProp_Reset)(AMFObjectProperty *) = AMFProp_Reset;
void (*p_AMFProp_SetName)(AMFObjectProperty *, AVal *) = AMFProp_SetName;
void (*p_AMF_AddProp)(AMFObject *, const AMFObjectProperty *) = AMF_AddProp;
int (*p_AMF_CountProp)(AMFObject *) = AMF_CountProp;
int (*p_AMF_Decode)(AMFObject *, const char *, int, int) = AMF_Decode;
int (*p_AMF_DecodeArray)(AMFObject *, const char *, int, int, int) = AMF_DecodeArray;
int (*p_AMF_DecodeBoolean)(const char *) = AMF_DecodeBoolean;
unsigned short (*p_AMF_DecodeInt16)(const char *) = AMF_DecodeInt16;
unsigned int (*p_AMF_DecodeInt24)(const char *) = AMF_DecodeInt24;
unsigned int (*p_AMF_DecodeInt32)(const char *) = AMF_DecodeInt32;
void (*p_AMF_DecodeLongString)(const char *, AVal *) = AMF_DecodeLongString;
double (*p_AMF_DecodeNumber)(const char *) = AMF_DecodeNumber;
void (*p_AMF_DecodeString)(const char *, AVal *) = AMF_DecodeString;
void (*p_AMF_Dump)(AMFObject *) = AMF_Dump;
char *(*p_AMF_Encode)(AMFObject *, char *, char *) = AMF_Encode;
char *(*p_AMF_EncodeArray)(AMFObject *, char *, char *) = AMF_EncodeArray;
char *(*p_AMF_EncodeBoolean)(char *, char *, int) = AMF_EncodeBoolean;
char *(*p_AMF_EncodeEcmaArray)(AMFObject *, char *, char *) = AMF_EncodeEcmaArray;
char *(*p_AMF_EncodeInt16)(char *, char *, short) = AMF_EncodeInt16;
char *(*p_AMF_EncodeInt24)(char *, char *, int) = AMF_EncodeInt24;
char *(*p_AMF_EncodeInt32)(char *, char *, int) = AMF_EncodeInt32;
char *(*p_AMF_EncodeNamedBoolean)(char *, char *, const AVal *, int) = AMF_EncodeNamedBoolean;
char *(*p_AMF_EncodeNamedNumber)(char *, char *, const AVal *, double) = AMF_EncodeNamedNumber;
char *(*p_AMF_EncodeNamedString)(char *, char *, const AVal *, const AVal *) = AMF_EncodeNamedString;
char *(*p_AMF_EncodeNumber)(char *, char *, double) = AMF_EncodeNumber;
char *(*p_AMF_EncodeString)(char *, char *, const AVal *) = AMF_EncodeString;
AMFObjectProperty *(*p_AMF_GetProp)(AMFObject *, const AVal *, int) = AMF_GetProp;
void (*p_AMF_Reset)(AMFObject *) = AMF_Reset;

/* ---- exported, declared by no header (4 functions) ---- */
int (*p_AMF3ReadInteger)(const char *, int32_t *) = AMF3ReadInteger;
int (*p_AMF3ReadString)(const char *, AVal *) = AMF3ReadString;
int (*p_RTMP_FindPrefixProperty)(AMFObject *, const AVal *, AMFObjectProperty *) = RTMP_FindPrefixProperty;
void (*p_RTMP_TLS_Init)(void) = RTMP_TLS_Init;

/* ---- http.h (1) ---- */
HTTPResult (*p_HTTP_get)(struct HTTP_ctx *, const char *,
                         size_t (*)(void *, size_t, size_t, void *)) = HTTP_get;

/* ---- log.h (9) ---- */
void (*p_RTMP_Log)(int, const char *, ...) = RTMP_Log;
RTMP_LogLevel (*p_RTMP_LogGetLevel)(void) = RTMP_LogGetLevel;
void (*p_RTMP_LogHex)(int, const uint8_t *, unsigned long) = RTMP_LogHex;
void (*p_RTMP_LogHexString)(int, const uint8_t *, unsigned long) = RTMP_LogHexString;
void (*p_RTMP_LogPrintf)(const char *, ...) = RTMP_LogPrintf;
void (*p_RTMP_LogSetCallback)(void (*)(int, const char *, va_list)) = RTMP_LogSetCallback;
void (*p_RTMP_LogSetLevel)(RTMP_LogLevel) = RTMP_LogSetLevel;
void (*p_RTMP_LogSetOutput)(FILE *) = RTMP_LogSetOutput;
void (*p_RTMP_LogStatus)(const char *, ...) = RTMP_LogStatus;

/* ---- rtmp.h (54) ---- */
int (*p_RTMPPacket_Alloc)(RTMPPacket *, uint32_t) = RTMPPacket_Alloc;
void (*p_RTMPPacket_Dump)(RTMPPacket *) = RTMPPacket_Dump;
void (*p_RTMPPacket_Free)(RTMPPacket *) = RTMPPacket_Free;
void (*p_RTMPPacket_Reset)(RTMPPacket *) = RTMPPacket_Reset;
int (*p_RTMPSockBuf_Close)(RTMPSockBuf *) = RTMPSockBuf_Close;
int (*p_RTMPSockBuf_Fill)(RTMPSockBuf *) = RTMPSockBuf_Fill;
int (*p_RTMPSockBuf_Send)(RTMPSockBuf *, const char *, int) = RTMPSockBuf_Send;
RTMP *(*p_RTMP_Alloc)(void) = RTMP_Alloc;
int (*p_RTMP_ClientPacket)(RTMP *, RTMPPacket *) = RTMP_ClientPacket;
void (*p_RTMP_Close)(RTMP *) = RTMP_Close;
int (*p_RTMP_Connect)(RTMP *, RTMPPacket *) = RTMP_Connect;
int (*p_RTMP_Connect0)(RTMP *, struct sockaddr *) = RTMP_Connect0;
int (*p_RTMP_Connect1)(RTMP *, RTMPPacket *) = RTMP_Connect1;
int (*p_RTMP_ConnectStream)(RTMP *, int) = RTMP_ConnectStream;
void (*p_RTMP_DeleteStream)(RTMP *) = RTMP_DeleteStream;
void (*p_RTMP_DropRequest)(RTMP *, int, int) = RTMP_DropRequest;
void (*p_RTMP_EnableWrite)(RTMP *) = RTMP_EnableWrite;
int (*p_RTMP_FindFirstMatchingProperty)(AMFObject *, const AVal *, AMFObjectProperty *) =
    RTMP_FindFirstMatchingProperty;
void (*p_RTMP_Free)(RTMP *) = RTMP_Free;
double (*p_RTMP_GetDuration)(RTMP *) = RTMP_GetDuration;
int (*p_RTMP_GetNextMediaPacket)(RTMP *, RTMPPacket *) = RTMP_GetNextMediaPacket;
uint32_t (*p_RTMP_GetTime)(void) = RTMP_GetTime;
int (*p_RTMP_HashSWF)(const char *, unsigned int *, unsigned char *, int) = RTMP_HashSWF;
void (*p_RTMP_Init)(RTMP *) = RTMP_Init;
int (*p_RTMP_IsConnected)(RTMP *) = RTMP_IsConnected;
int (*p_RTMP_IsTimedout)(RTMP *) = RTMP_IsTimedout;
int (*p_RTMP_LibVersion)(void) = RTMP_LibVersion;
void (*p_RTMP_ParsePlaypath)(AVal *, AVal *) = RTMP_ParsePlaypath;
int (*p_RTMP_ParseURL)(const char *, int *, AVal *, unsigned int *, AVal *, AVal *) = RTMP_ParseURL;
int (*p_RTMP_Pause)(RTMP *, int) = RTMP_Pause;
int (*p_RTMP_Read)(RTMP *, char *, int) = RTMP_Read;
int (*p_RTMP_ReadPacket)(RTMP *, RTMPPacket *) = RTMP_ReadPacket;
int (*p_RTMP_ReconnectStream)(RTMP *, int) = RTMP_ReconnectStream;
int (*p_RTMP_SendChunk)(RTMP *, RTMPChunk *) = RTMP_SendChunk;
int (*p_RTMP_SendClientBW)(RTMP *) = RTMP_SendClientBW;
int (*p_RTMP_SendCreateStream)(RTMP *) = RTMP_SendCreateStream;
int (*p_RTMP_SendCtrl)(RTMP *, short, unsigned int, unsigned int) = RTMP_SendCtrl;
int (*p_RTMP_SendPacket)(RTMP *, RTMPPacket *, int) = RTMP_SendPacket;
int (*p_RTMP_SendPause)(RTMP *, int, int) = RTMP_SendPause;
int (*p_RTMP_SendSeek)(RTMP *, int) = RTMP_SendSeek;
int (*p_RTMP_SendServerBW)(RTMP *) = RTMP_SendServerBW;
int (*p_RTMP_Serve)(RTMP *) = RTMP_Serve;
void (*p_RTMP_SetBufferMS)(RTMP *, int) = RTMP_SetBufferMS;
int (*p_RTMP_SetOpt)(RTMP *, const AVal *, AVal *) = RTMP_SetOpt;
void (*p_RTMP_SetupStream)(RTMP *, int, AVal *, unsigned int, AVal *, AVal *, AVal *, AVal *,
                           AVal *, AVal *, AVal *, AVal *, uint32_t, AVal *, AVal *, AVal *,
                           int, int, int, long) = RTMP_SetupStream;
int (*p_RTMP_SetupURL)(RTMP *, char *) = RTMP_SetupURL;
int (*p_RTMP_Socket)(RTMP *) = RTMP_Socket;
int (*p_RTMP_TLS_Accept)(RTMP *, void *) = RTMP_TLS_Accept;
void *(*p_RTMP_TLS_AllocServerContext)(const char *, const char *) = RTMP_TLS_AllocServerContext;
void (*p_RTMP_TLS_FreeServerContext)(void *) = RTMP_TLS_FreeServerContext;
int (*p_RTMP_ToggleStream)(RTMP *) = RTMP_ToggleStream;
void (*p_RTMP_UpdateBufferMS)(RTMP *) = RTMP_UpdateBufferMS;
void (*p_RTMP_UserInterrupt)(void) = RTMP_UserInterrupt;
int (*p_RTMP_Write)(RTMP *, const char *, int) = RTMP_Write;

/* ---- declared in amf.h, never exported by librtmp 2.4 (would not link) ---- */
#ifndef PROTOTYPES_TEST_LINKABLE
void (*p_AMFProp_SetBoolean)(AMFObjectProperty *, int) = AMFProp_SetBoolean;
void (*p_AMFProp_SetNumber)(AMFObjectProperty *, double) = AMFProp_SetNumber;
void (*p_AMFProp_SetObject)(AMFObjectProperty *, AMFObject *) = AMFProp_SetObject;
void (*p_AMFProp_SetString)(AMFObjectProperty *, AVal *) = AMFProp_SetString;
#endif
