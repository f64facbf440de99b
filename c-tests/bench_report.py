"""Report lines shared by bench-session.sh and bench-tls.sh (imported by their python3 parts)."""
import re


def nginx_report(access, errlog, nwrites, flv_size):
    """nginx's side of the publishing sessions: how many its rtmp access log shows (a line per
    session, written when it ends) and the bytes each received (SHORT: under 95 % of the FLV of
    FLV_SIZE bytes); then the problem lines of its error log."""
    pub = []
    try:
        for l in open(access):
            m = re.search(r'PUBLISH "live" "([\w-]+)" "[^"]*" - (\d+) (\d+)', l)
            if m:
                pub.append((m.group(1), int(m.group(2))))
    except OSError:
        pass
    short = [p for p in pub if p[1] < flv_size * 0.95]
    print(f"nginx: {len(pub)} of {nwrites} publishing sessions logged, received "
          f"{min((p[1] for p in pub), default=0) / 1e6:.1f}..{max((p[1] for p in pub), default=0) / 1e6:.1f} MB each"
          + (f"; SHORT: {short[:4]}" if short else ""))
    # ("flv: could not read flv tag header" is how nginx's FLV player meets the end of the file)
    bad = [l.strip() for l in open(errlog) if re.search(r"\[(error|crit|alert|emerg)\]|too big|drop", l)
           and "could not read flv tag header" not in l]
    if bad:
        print(f"nginx error log: {len(bad)} problem lines, e.g. {bad[0][:200]}")


def goal(text, value, ok):
    print(f"goal {text}: {value:.2f} ({'met' if ok else 'not met'})")
