# python3-librtmp publish (cffi: RTMP_EnableWrite, RTMP_Connect, RTMP_Write through its stream
# object), used by publish.sh and rtmpt.sh: python3 py_publish.py URL FLV writes the file in
# 64 KiB pieces, 40 ms apart (a live source's pace, roughly).
import sys, time, librtmp
c = librtmp.RTMP(sys.argv[1], live=True, timeout=10)
c.connect()
s = c.create_stream(writeable=True)
with open(sys.argv[2], "rb") as f:
    while True:
        d = f.read(65536)
        if not d:
            break
        s.write(d)
        time.sleep(0.04)
s.close()
c.close()
