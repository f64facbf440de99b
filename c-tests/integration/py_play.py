# python3-librtmp play (cffi: RTMP_Connect, RTMP_ConnectStream, RTMP_Read through its stream
# object), used by play.sh and tls.sh: python3 py_play.py URL OUT writes the FLV it reads to OUT.
import sys, librtmp
c = librtmp.RTMP(sys.argv[1], timeout=10)
c.connect()
s = c.create_stream()
with open(sys.argv[2], "wb") as f:
    while True:
        d = s.read(65536)
        if not d:
            break
        f.write(d)
