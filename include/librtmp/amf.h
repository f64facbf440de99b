/*
 * librtmp/amf.h - Action Message Format (AMF0 / AMF3) API of librtmp-rs.
 *
 * librtmp-rs is an independent Rust implementation of the librtmp 2.4 C
 * interface.  This header was written for librtmp-rs; it exposes the same
 * names, types, constants and layouts as librtmp 2.4 so that programs built
 * for that library build and run unchanged.  Licence: MIT (see Cargo.toml).
 *
 * Everything here is a plain C data structure that callers may allocate,
 * inspect and modify directly; the field order of every struct is part of
 * the binary interface and must never change.
 */
#ifndef __AMF_H__
#define __AMF_H__

#include <stdint.h>

/* Boolean helpers used throughout the API (only if the program has none). */
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Strings
 * ------------------------------------------------------------------------ */

/* A counted byte string.  av_val is generally NOT NUL-terminated and is
 * usually borrowed from a caller-owned buffer. */
typedef struct AVal {
    char *av_val;
    int av_len;
} AVal;

/* Brace initialiser for an AVal built from a string literal, e.g.
 *     static const AVal name = AVC("connect");                           */
#define AVC(str) { str, sizeof(str) - 1 }

/* Non-zero when two AVal pointers denote equal byte strings (uses memcmp,
 * so <string.h> must be included by the user of this macro). */
#define AVMATCH(a1, a2) \
    ((a1)->av_len == (a2)->av_len && \
     !memcmp((a1)->av_val, (a2)->av_val, (a1)->av_len))

/* ------------------------------------------------------------------------
 * Type markers
 * ------------------------------------------------------------------------ */

/* AMF0 value markers (the first byte of every encoded AMF0 value). */
typedef enum {
    AMF_NUMBER = 0,
    AMF_BOOLEAN = 1,
    AMF_STRING = 2,
    AMF_OBJECT = 3,
    AMF_MOVIECLIP = 4,       /* reserved by the AMF0 spec */
    AMF_NULL = 5,
    AMF_UNDEFINED = 6,
    AMF_REFERENCE = 7,
    AMF_ECMA_ARRAY = 8,
    AMF_OBJECT_END = 9,
    AMF_STRICT_ARRAY = 10,
    AMF_DATE = 11,
    AMF_LONG_STRING = 12,
    AMF_UNSUPPORTED = 13,
    AMF_RECORDSET = 14,      /* reserved by the AMF0 spec */
    AMF_XML_DOC = 15,
    AMF_TYPED_OBJECT = 16,
    AMF_AVMPLUS = 17,        /* the value that follows is AMF3 encoded */
    AMF_INVALID = 0xff
} AMFDataType;

/* AMF3 value markers. */
typedef enum {
    AMF3_UNDEFINED = 0,
    AMF3_NULL = 1,
    AMF3_FALSE = 2,
    AMF3_TRUE = 3,
    AMF3_INTEGER = 4,
    AMF3_DOUBLE = 5,
    AMF3_STRING = 6,
    AMF3_XML_DOC = 7,
    AMF3_DATE = 8,
    AMF3_ARRAY = 9,
    AMF3_OBJECT = 10,
    AMF3_XML = 11,
    AMF3_BYTE_ARRAY = 12
} AMF3DataType;

/* ------------------------------------------------------------------------
 * Decoded objects
 * ------------------------------------------------------------------------ */

struct AMFObjectProperty;

/* An object (or array): o_num properties stored contiguously at o_props,
 * which is malloc()ed and released by AMF_Reset(). */
typedef struct AMFObject {
    int o_num;
    struct AMFObjectProperty *o_props;
} AMFObject;

/* One named value.  Which member of p_vu is meaningful depends on p_type:
 * numbers, booleans and dates use p_number, strings use p_aval, objects and
 * arrays use p_object.  p_UTCoffset is the time-zone field of AMF_DATE. */
typedef struct AMFObjectProperty {
    AVal p_name;
    AMFDataType p_type;
    union {
        double p_number;
        AVal p_aval;
        AMFObject p_object;
    } p_vu;
    int16_t p_UTCoffset;
} AMFObjectProperty;

/* AMF3 class (trait) description. */
typedef struct AMF3ClassDef {
    AVal cd_name;
    char cd_externalizable;
    char cd_dynamic;
    int cd_num;
    AVal *cd_props;
} AMF3ClassDef;

/* ------------------------------------------------------------------------
 * Object level
 * ------------------------------------------------------------------------ */

/* Decoding: return the number of input bytes consumed, or -1 on error. */
int AMF_Decode(AMFObject *obj, const char *buf, int buflen, int with_names);
int AMF_DecodeArray(AMFObject *obj, const char *buf, int buflen,
                    int count, int with_names);
int AMF3_Decode(AMFObject *obj, const char *buf, int buflen, int with_names);

/* Encoding: return the new write position, or NULL if [out, out_end) is too
 * small. */
char *AMF_Encode(AMFObject *obj, char *out, char *out_end);
char *AMF_EncodeEcmaArray(AMFObject *obj, char *out, char *out_end);
char *AMF_EncodeArray(AMFObject *obj, char *out, char *out_end);

void AMF_AddProp(AMFObject *obj, const AMFObjectProperty *prop);
int AMF_CountProp(AMFObject *obj);
/* Look up by name (when name is non-NULL) or else by index. */
AMFObjectProperty *AMF_GetProp(AMFObject *obj, const AVal *name, int index);
void AMF_Dump(AMFObject *obj);
void AMF_Reset(AMFObject *obj);

/* ------------------------------------------------------------------------
 * Property level
 * ------------------------------------------------------------------------ */

int AMFProp_Decode(AMFObjectProperty *prop, const char *buf, int buflen,
                   int with_name);
int AMF3Prop_Decode(AMFObjectProperty *prop, const char *buf, int buflen,
                    int with_name);
char *AMFProp_Encode(AMFObjectProperty *prop, char *out, char *out_end);

AMFDataType AMFProp_GetType(AMFObjectProperty *prop);
int AMFProp_IsValid(AMFObjectProperty *prop);
void AMFProp_GetName(AMFObjectProperty *prop, AVal *name_out);
void AMFProp_SetName(AMFObjectProperty *prop, AVal *name);
double AMFProp_GetNumber(AMFObjectProperty *prop);
int AMFProp_GetBoolean(AMFObjectProperty *prop);
void AMFProp_GetString(AMFObjectProperty *prop, AVal *str_out);
void AMFProp_GetObject(AMFObjectProperty *prop, AMFObject *obj_out);
void AMFProp_Dump(AMFObjectProperty *prop);
void AMFProp_Reset(AMFObjectProperty *prop);

/* Declared by librtmp 2.4 but never implemented or exported by it: calling
 * any of these fails to link.  Kept only so that the declarations match. */
void AMFProp_SetNumber(AMFObjectProperty *prop, double value);
void AMFProp_SetBoolean(AMFObjectProperty *prop, int value);
void AMFProp_SetString(AMFObjectProperty *prop, AVal *value);
void AMFProp_SetObject(AMFObjectProperty *prop, AMFObject *value);

/* ------------------------------------------------------------------------
 * AMF3 class definitions
 * ------------------------------------------------------------------------ */

void AMF3CD_AddProp(AMF3ClassDef *cd, AVal *prop_name);
AVal *AMF3CD_GetProp(AMF3ClassDef *cd, int index);

/* ------------------------------------------------------------------------
 * Scalar codecs (AMF0, big-endian on the wire)
 * ------------------------------------------------------------------------ */

/* Writers: return the new write position, or NULL when out of room. */
char *AMF_EncodeInt16(char *out, char *out_end, short value);
char *AMF_EncodeInt24(char *out, char *out_end, int value);
char *AMF_EncodeInt32(char *out, char *out_end, int value);
char *AMF_EncodeNumber(char *out, char *out_end, double value);
char *AMF_EncodeBoolean(char *out, char *out_end, int value);
char *AMF_EncodeString(char *out, char *out_end, const AVal *value);

/* Writers of a "name: value" pair, as used inside objects. */
char *AMF_EncodeNamedNumber(char *out, char *out_end, const AVal *name,
                            double value);
char *AMF_EncodeNamedBoolean(char *out, char *out_end, const AVal *name,
                             int value);
char *AMF_EncodeNamedString(char *out, char *out_end, const AVal *name,
                            const AVal *value);

/* Readers: no bounds checking, the caller guarantees enough input. */
unsigned short AMF_DecodeInt16(const char *in);
unsigned int AMF_DecodeInt24(const char *in);
unsigned int AMF_DecodeInt32(const char *in);
double AMF_DecodeNumber(const char *in);
int AMF_DecodeBoolean(const char *in);
/* The string readers point str_out into the input (no copy). */
void AMF_DecodeString(const char *in, AVal *str_out);
void AMF_DecodeLongString(const char *in, AVal *str_out);

#ifdef __cplusplus
}
#endif

#endif /* __AMF_H__ */
