//! `#[repr(C)]` mirrors of the public librtmp 2.4 structs (x86-64, `CRYPTO` defined).
//!
//! Every size and offset is pinned by the compile-time assertions in `layout_asserts.rs`, which
//! are generated from `../shared/abi/layout.txt` by `tools/gen_layout.py`.

use std::os::raw::{c_char, c_double, c_int, c_uint, c_ushort, c_void};

pub const RTMP_MAX_HEADER_SIZE: usize = 18;
pub const RTMP_BUFFER_CACHE_SIZE: usize = 16 * 1024;
pub const RTMP_CHANNELS: c_int = 65600;
pub const RTMP_DEFAULT_CHUNKSIZE: c_int = 128;
pub const RTMP_SWF_HASHLEN: usize = 32;

pub const RTMP_FEATURE_HTTP: c_int = 0x01;
pub const RTMP_FEATURE_ENC: c_int = 0x02;
pub const RTMP_FEATURE_SSL: c_int = 0x04;
pub const RTMP_FEATURE_MFP: c_int = 0x08;
pub const RTMP_FEATURE_WRITE: c_int = 0x10;
pub const RTMP_FEATURE_HTTP2: c_int = 0x20;

pub const RTMP_LF_AUTH: c_int = 0x0001;
pub const RTMP_LF_LIVE: c_int = 0x0002;
pub const RTMP_LF_SWFV: c_int = 0x0004;
pub const RTMP_LF_PLST: c_int = 0x0008;
pub const RTMP_LF_BUFX: c_int = 0x0010;
pub const RTMP_LF_FTCU: c_int = 0x0020;
pub const RTMP_LF_FAPU: c_int = 0x0040;
/// Ours, not librtmp's: set by the option `tlsVerify=0` (certificate checking off). librtmp
/// defines no `lFlags` bit above 0x40.
pub const RTMP_LF_NOTLSVERIFY: c_int = 0x1000;

/// `AVal`: a borrowed, length-delimited string (not NUL-terminated in general).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AVal {
    pub av_val: *mut c_char,
    pub av_len: c_int,
}

impl AVal {
    pub const EMPTY: AVal = AVal {
        av_val: std::ptr::null_mut(),
        av_len: 0,
    };
}

impl Default for AVal {
    fn default() -> Self {
        AVal::EMPTY
    }
}

/// `RTMP_LogLevel` (a C enum: 4 bytes).
pub type RTMP_LogLevel = c_int;
/// `HTTPResult` (a C enum: 4 bytes).
pub type HTTPResult = c_int;
/// `AMFDataType` (a C enum: 4 bytes).
pub type AMFDataType = c_int;
/// `AMF3DataType` (a C enum: 4 bytes).
pub type AMF3DataType = c_int;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AMFObject {
    pub o_num: c_int,
    pub o_props: *mut AMFObjectProperty,
}

impl AMFObject {
    pub const EMPTY: AMFObject = AMFObject {
        o_num: 0,
        o_props: std::ptr::null_mut(),
    };
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union AMFValue {
    pub p_number: c_double,
    pub p_aval: AVal,
    pub p_object: AMFObject,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct AMFObjectProperty {
    pub p_name: AVal,
    pub p_type: AMFDataType,
    pub p_vu: AMFValue,
    pub p_UTCoffset: i16,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AMF3ClassDef {
    pub cd_name: AVal,
    pub cd_externalizable: c_char,
    pub cd_dynamic: c_char,
    pub cd_num: c_int,
    pub cd_props: *mut AVal,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RTMPChunk {
    pub c_headerSize: c_int,
    pub c_chunkSize: c_int,
    pub c_chunk: *mut c_char,
    pub c_header: [c_char; RTMP_MAX_HEADER_SIZE],
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RTMPPacket {
    pub m_headerType: u8,
    pub m_packetType: u8,
    pub m_hasAbsTimestamp: u8,
    pub m_nChannel: c_int,
    pub m_nTimeStamp: u32,
    pub m_nInfoField2: i32,
    pub m_nBodySize: u32,
    pub m_nBytesRead: u32,
    pub m_chunk: *mut RTMPChunk,
    pub m_body: *mut c_char,
}

#[repr(C)]
pub struct RTMPSockBuf {
    pub sb_socket: c_int,
    pub sb_size: c_int,
    pub sb_start: *mut c_char,
    pub sb_buf: [c_char; RTMP_BUFFER_CACHE_SIZE],
    pub sb_timedout: c_int,
    pub sb_ssl: *mut c_void,
}

#[repr(C)]
pub struct RTMP_LNK {
    pub hostname: AVal,
    pub sockshost: AVal,
    pub playpath0: AVal,
    pub playpath: AVal,
    pub tcUrl: AVal,
    pub swfUrl: AVal,
    pub pageUrl: AVal,
    pub app: AVal,
    pub auth: AVal,
    pub flashVer: AVal,
    pub subscribepath: AVal,
    pub usherToken: AVal,
    pub token: AVal,
    pub pubUser: AVal,
    pub pubPasswd: AVal,
    pub extras: AMFObject,
    pub edepth: c_int,
    pub seekTime: c_int,
    pub stopTime: c_int,
    pub lFlags: c_int,
    pub swfAge: c_int,
    pub protocol: c_int,
    pub timeout: c_int,
    pub pFlags: c_int,
    pub socksport: c_ushort,
    pub port: c_ushort,
    pub dh: *mut c_void,
    pub rc4keyIn: *mut c_void,
    pub rc4keyOut: *mut c_void,
    pub SWFSize: u32,
    pub SWFHash: [u8; RTMP_SWF_HASHLEN],
    pub SWFVerificationResponse: [c_char; RTMP_SWF_HASHLEN + 10],
}

#[repr(C)]
pub struct RTMP_READ {
    pub buf: *mut c_char,
    pub bufpos: *mut c_char,
    pub buflen: c_uint,
    pub timestamp: u32,
    pub dataType: u8,
    pub flags: u8,
    pub status: i8,
    pub initialFrameType: u8,
    pub nResumeTS: u32,
    pub metaHeader: *mut c_char,
    pub initialFrame: *mut c_char,
    pub nMetaHeaderSize: u32,
    pub nInitialFrameSize: u32,
    pub nIgnoredFrameCounter: u32,
    pub nIgnoredFlvFrameCounter: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RTMP_METHOD {
    pub name: AVal,
    pub num: c_int,
}

#[repr(C)]
pub struct RTMP {
    pub m_inChunkSize: c_int,
    pub m_outChunkSize: c_int,
    pub m_nBWCheckCounter: c_int,
    pub m_nBytesIn: c_int,
    pub m_nBytesInSent: c_int,
    pub m_nBufferMS: c_int,
    pub m_stream_id: c_int,
    pub m_mediaChannel: c_int,
    pub m_mediaStamp: u32,
    pub m_pauseStamp: u32,
    pub m_pausing: c_int,
    pub m_nServerBW: c_int,
    pub m_nClientBW: c_int,
    pub m_nClientBW2: u8,
    pub m_bPlaying: u8,
    pub m_bSendEncoding: u8,
    pub m_bSendCounter: u8,
    pub m_numInvokes: c_int,
    pub m_numCalls: c_int,
    pub m_methodCalls: *mut RTMP_METHOD,
    pub m_channelsAllocatedIn: c_int,
    pub m_channelsAllocatedOut: c_int,
    pub m_vecChannelsIn: *mut *mut RTMPPacket,
    pub m_vecChannelsOut: *mut *mut RTMPPacket,
    pub m_channelTimestamp: *mut c_int,
    pub m_fAudioCodecs: c_double,
    pub m_fVideoCodecs: c_double,
    pub m_fEncoding: c_double,
    pub m_fDuration: c_double,
    pub m_msgCounter: c_int,
    pub m_polling: c_int,
    pub m_resplen: c_int,
    pub m_unackd: c_int,
    pub m_clientID: AVal,
    pub m_read: RTMP_READ,
    pub m_write: RTMPPacket,
    pub m_sb: RTMPSockBuf,
    pub Link: RTMP_LNK,
}

/// `struct HTTP_ctx` from http.h.
#[repr(C)]
pub struct HTTP_ctx {
    pub date: *mut c_char,
    pub size: c_int,
    pub status: c_int,
    pub data: *mut c_void,
}
