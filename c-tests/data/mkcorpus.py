#!/usr/bin/env python3
# Regenerates c-tests/data/amf_corpus.h. The two FLV files come from ffmpeg:
#   ffmpeg -f lavfi -i testsrc=size=64x48:rate=5 -f lavfi -i sine=frequency=440:sample_rate=22050 -t 0.4 -c:v flv1 -c:a mp3 t1.flv
#   ffmpeg -f lavfi -i testsrc=size=32x32:rate=5 -t 0.2 -c:v libx264 -metadata title="tést ünïcode" -metadata comment=x t2.flv
# usage (in a directory holding t1.flv and t2.flv): mkcorpus.py OUTPUT.h
import struct, sys
def flv_script(path):
    d=open(path,'rb').read(); p=13; out=[]
    while p+11<=len(d):
        t=d[p]; n=int.from_bytes(d[p+1:p+4],'big')
        if t==18: out.append(d[p+11:p+11+n])
        p+=11+n+4
    return out
def s(x): x=x.encode() if isinstance(x,str) else x; return b'\x02'+struct.pack('>H',len(x))+x
def n(x): return b'\x00'+struct.pack('>d',x)
def b(x): return b'\x01'+bytes([1 if x else 0])
def key(k): k=k.encode(); return struct.pack('>H',len(k))+k
def obj(items): return b'\x03'+b''.join(key(k)+v for k,v in items)+b'\x00\x00\x09'
def ecma(items): return b'\x08'+struct.pack('>I',len(items))+b''.join(key(k)+v for k,v in items)+b'\x00\x00\x09'
NULL=b'\x05'
def u29(v):
    if v<0x80: return bytes([v])
    if v<0x4000: return bytes([0x80|(v>>7),v&0x7f])
    if v<0x200000: return bytes([0x80|(v>>14),0x80|((v>>7)&0x7f),v&0x7f])
    return bytes([0x80|(v>>22),0x80|((v>>15)&0x7f),0x80|((v>>8)&0x7f),v&0xff])
def s3(x): x=x.encode(); return u29(len(x)<<1|1)+x
corpus=[]
for i,body in enumerate(flv_script('t1.flv')+flv_script('t2.flv')):
    corpus.append(('onMetaData_ffmpeg%d'%i, body))
# connect bodies as librtmp sends them (golden capture, chunk continuation byte removed)
g=open('/work/shared/reference/probes/golden_connect.txt').read().split('\n')
def grab(start):
    hx=[]
    for l in g[start:]:
        if not l.strip() or l.startswith('#') or l.startswith('C0'):
            if hx: break
            continue
        hx+=l.split()[1:]
    raw=bytes(int(x,16) for x in hx)[12:]
    # remove the 0xc3 type-3 header after 128 body bytes
    if len(raw)>128: raw=raw[:128]+raw[129:]
    return raw
idx=[i for i,l in enumerate(g) if l.startswith('C0=')]
for j,i in enumerate(idx[:2]):
    corpus.append(('connect_golden%d'%j, grab(i+1)))
corpus.append(('connect_full', s('connect')+n(1)+obj([('app',s('live')),('flashVer',s('LNX 10,0,32,18')),('swfUrl',s('http://x/p.swf')),('tcUrl',s('rtmp://h:1935/live')),('fpad',b(0)),('capabilities',n(15)),('audioCodecs',n(3191)),('videoCodecs',n(252)),('videoFunction',n(1)),('pageUrl',s('http://x/')),('objectEncoding',n(3))])+b(1)+s('authMe')+obj([('code',n(1.23)),('flag',s('ok'))])))
corpus.append(('result_connect', s('_result')+n(1)+obj([('fmsVer',s('FMS/3,5,7,7009')),('capabilities',n(31)),('mode',n(1))])+obj([('level',s('status')),('code',s('NetConnection.Connect.Success')),('description',s('Connection succeeded.')),('objectEncoding',n(0)),('data',ecma([('version',s('3,5,7,7009'))]))])))
corpus.append(('result_createStream', s('_result')+n(2)+NULL+n(1)))
corpus.append(('onStatus_play', s('onStatus')+n(0)+NULL+obj([('level',s('status')),('code',s('NetStream.Play.Start')),('description',s('Started playing stream.')),('details',s('stream')),('clientid',s('ABCDEFGH'))])))
corpus.append(('onStatus_error_number4th', s('onStatus')+n(0)+NULL+n(7)))
corpus.append(('onBWDone', s('onBWDone')+n(0)+NULL+n(8192)))
corpus.append(('onMetaData_dates', s('onMetaData')+ecma([('creationdate',b'\x0b'+struct.pack('>d',1.4e12)+struct.pack('>h',-120)),('xml',b'\x0f'+struct.pack('>I',5)+b'<a/>\n'),('long',b'\x0c'+struct.pack('>I',3)+b'abc'),('undef',b'\x06'),('unsup',b'\x0d'),('keyframes',obj([('times',b'\x0a'+struct.pack('>I',3)+n(0)+n(1.5)+n(3)),('filepositions',b'\x0a'+struct.pack('>I',2)+n(13)+n(900.25))]))])))
# AMF3 in AMF0 (objectEncoding 3 servers)
dyn=b'\x11\x0a'+u29(0b1011)+s3('')+s3('level')+b'\x06'+s3('status')+s3('code')+b'\x06'+s3('NetConnection.Connect.Success')+s3('objectEncoding')+b'\x04\x03'+s3('ratio')+b'\x05'+struct.pack('>d',0.5)+s3('ok')+b'\x03'+s3('none')+b'\x01'+b'\x01'
corpus.append(('result_amf3_dynamic', s('_result')+n(1)+NULL+dyn))
sealed=b'\x11\x0a'+u29((2<<4)|0b0011)+s3('flex.messaging.messages.AcknowledgeMessage')+s3('clientId')+s3('timestamp')+b'\x06'+s3('abc-123')+b'\x05'+struct.pack('>d',1.5e12)
corpus.append(('result_amf3_sealed', s('_result')+n(1)+NULL+sealed))
sealeddyn=b'\x11\x0a'+u29((1<<4)|0b1011)+s3('T')+s3('a')+b'\x04'+u29(300)+s3('b')+b'\x08\x01'+struct.pack('>d',1e3)+s3('c')+b'\x08\x02'+b'\x01'
corpus.append(('amf3_sealed_dynamic_dates', s('x')+sealeddyn))
ext=b'\x11\x0a'+u29(0b0111)+s3('flex.messaging.io.ArrayCollection')+b'\x04'+u29(77)
corpus.append(('amf3_externalizable', ext))
corpus.append(('amf3_nested_object', b'\x11\x0a'+u29(0b1011)+s3('')+s3('inner')+b'\x0a'+u29(0b1011)+s3('')+s3('k')+b'\x02'+b'\x01'+b'\x01'))
corpus.append(('amf3_int_edges', b'\x11\x0a'+u29(0b1011)+s3('')+s3('a')+b'\x04\xff\xff\xff\xff'+s3('b')+b'\x04\x80\x80\x80\x80'+s3('c')+b'\x04\xc0\x80\x80\x01'+s3('d')+b'\x04\x81\x00'+b'\x01'))
corpus.append(('amf3_refs', b'\x11\x0a\x00'+b'\x11\x0a\x01'+b'\x11\x0a'+u29(0b1011)+s3('')+s3('k')+b'\x08\x03'+struct.pack('>d',5.0)+s3('r')+b'\x08\x04'+b'\x00'+b'\x06\x02'+b'\x01'))
# CVE shapes (fixed librtmp handles them; the original crashed)
corpus.append(('cve_2015_8270_classname_ref', b'\x11\x0a'+u29((0<<4)|0b1011)+b'\x00'+s3('m')+b'\x06'+b'\x02'+b'\x01'))
corpus.append(('cve_2015_8270_member_ref', b'\x11\x0a'+u29((1<<4)|0b0011)+s3('C')+b'\x04'+b'\x06\x03x'))
corpus.append(('cve_2015_8271_count1', b'\x11\x0a'+u29((1<<4)|0b0011)+s3('C')+s3('m')+b'\x04\x05'))
corpus.append(('cve_2015_8271_count17', b'\x11\x0a'+u29((17<<4)|0b0011)+s3('C')+b''.join(s3('m%d'%i) for i in range(17))+b''.join(b'\x04'+u29(i) for i in range(17))))
corpus.append(('cve_2015_8271_huge_count_short_input', b'\x11\x0a'+u29(((1<<24)<<4)|0b0011)+s3('C')+s3('m')))
total=0
with open(sys.argv[1],'w') as f:
    f.write('/* AMF corpus for diff_amf.c: generated by hand from ffmpeg FLV files (onMetaData),\n * librtmp\'s own connect packets (golden capture) and typical server replies. name, hex. */\n')
    f.write('static const char *const amf_corpus[][2] = {\n')
    for name,data in corpus:
        total+=len(data)
        h=data.hex()
        f.write('    {"%s",\n     "%s"},\n'%(name, '"\n     "'.join(h[i:i+96] for i in range(0,len(h),96))))
    f.write('};\n')
print(len(corpus), total)
