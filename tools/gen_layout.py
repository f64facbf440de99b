#!/usr/bin/env python3
"""Generate the ABI layout tests of librtmp-rs from the shared layout.txt.

Usage:
    tools/gen_layout.py [LAYOUT_TXT] [--check]

LAYOUT_TXT defaults to abi/layout.txt relative to the repository
root.  The generator writes (paths relative to the repository root):

  c-tests/layout_test.c           C program, compiled against include/ (or
                                  any librtmp 2.4 headers), no library
                                  needed.  Checks every TYPE, field,
                                  enumerator, #define and function-like
                                  macro line, and header attribution.
  c-tests/layout_nocrypto_test.c  Second C program, compiled with
                                  -DNO_CRYPTO: checks the "Variant" line,
                                  that CRYPTO stays undefined and that
                                  rtmp.h includes amf.h.
  c-tests/globals_values_test.c   C program linked against the library
                                  (-lrtmp): checks the "Values of exported
                                  data symbols" section at run time.
  src/abi/layout_asserts.rs       Rust compile-time assertions of every
                                  struct/field line against the #[repr(C)]
                                  mirrors in src/abi/types.rs, plus the
                                  enum aliases and constants that types.rs
                                  defines.

--check regenerates everything in memory and exits 1 if any committed file
differs (or is missing).  Because layout_asserts.rs also depends on which
aliases/constants src/abi/types.rs defines, re-run the generator after
adding one there.

Every non-comment line of layout.txt must be understood by this script; an
unknown line or section aborts generation (exit 2), so the generated tests
always cover the whole file.  Lines starting with '#' are documentation and
are not checked.
"""

import hashlib
import os
import re
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
DEFAULT_LAYOUT = os.path.join(REPO, 'abi', 'layout.txt')
TYPES_RS = os.path.join(REPO, 'src', 'abi', 'types.rs')

OUT_LAYOUT_C = 'c-tests/layout_test.c'
OUT_NOCRYPTO_C = 'c-tests/layout_nocrypto_test.c'
OUT_GLOBALS_C = 'c-tests/globals_values_test.c'
OUT_RUST = 'src/abi/layout_asserts.rs'

# Exports that no public header declares; declarations as given in
# symbols.txt.  Used when a "Values of exported data symbols" line refers to
# one of them.
UNDECLARED_DATA = {
    'RTMPProtocolStrings': 'extern const char RTMPProtocolStrings[][7];',
    'RTMP_TLS_ctx': 'extern void *RTMP_TLS_ctx;',
}

# The header order used by layout_test.c.  amf.h first so that its macros
# are checked before rtmp.h could provide them; http.h after log.h so that
# size_t is known even with the original (not self-contained) http.h.
HEADER_ORDER = ['amf.h', 'log.h', 'http.h', 'rtmp.h']


class LayoutError(Exception):
    pass


def die(msg):
    sys.stderr.write('gen_layout.py: error: %s\n' % msg)
    sys.exit(2)


# ---------------------------------------------------------------------------
# Parsing layout.txt
# ---------------------------------------------------------------------------

SECTIONS = {
    'Scalar/enum/pointer typedefs': 'typedefs',
    'Structs (every field; nested members recursed)': 'structs',
    'Enumerators': 'enums',
    'Object-like #define constants (evaluated)': 'defines',
    'Function-like macros (verbatim)': 'fmacros',
    'Variant': 'variant',
}
VALUES_SECTION_PREFIX = 'Values of exported data symbols'

RE_SECTION = re.compile(r'^== (.*) ==$')
RE_TYPE_SIZE = re.compile(r'^TYPE (.+?)\s+sizeof=(\d+)\s+alignof=(\d+)$')
RE_TYPE_FN = re.compile(r'^TYPE (\w+)\s+function type: (.+)$')
RE_FIELD = re.compile(r'^  (\S.*?)\s+off=(\d+)\s+size=(\d+)\s+(\S.*)$')
RE_ENUM = re.compile(r'^(\w+)\s+(\w+)\s+=\s+(-?\d+)$')
RE_DEFINE_VAL = re.compile(r'^(\w+\.h)\s+(\w+)\s+=\s+(-?\d+)\s+/\*\s*(.*?)\s*\*/$')
RE_DEFINE_EMPTY = re.compile(r'^(\w+\.h)\s+(\w+)\s+\(defined, empty\)$')
RE_FMACRO = re.compile(r'^(\w+\.h)\s+#define (\w+)\(([^)]*)\) (.+)$')
RE_VARIANT = re.compile(r'^NO_CRYPTO variant \([^)]*\): (.+)$')
RE_VARIANT_ITEM = re.compile(r'\s*(?:sizeof\((\w+)\)=(\d+)|offsetof\((\w+),(\w+)\)=(\d+))')

# "Values of exported data symbols" section
RE_V_AVAL = re.compile(r'^(\w+) = \{ av_val="(.*)", av_len=(\d+) \}$')
RE_V_NUL = re.compile(r'^\s+\(av_val is NUL-terminated: (yes|no)\)$')
RE_V_ARRAY = re.compile(r'^(\w+) \((\d+) x char\[(\d+)\]\):$')
RE_V_ELEM = re.compile(r'^\s+(\w+)\[(\d+)\] = "(.*)"\s+bytes: ((?:[0-9a-f]{2} ?)+)$')
RE_V_INIT_INT = re.compile(r'^(\w+) initial = (-?\d+)(?: \(.*\))?$')
RE_V_INIT_NIL = re.compile(r'^(\w+) initial = \(nil\)(?: \(.*\))?$')
RE_V_CALL_INIT = re.compile(r'^(\w+)\(\) initial = (-?\d+)$')
RE_V_CALL = re.compile(r'^(\w+)\(\) = (0x[0-9a-fA-F]+|-?\d+)$')
RE_V_AFTER = re.compile(r'^after RTMP_Init: (.*)$')
RE_V_AFTER_NONNULL = re.compile(r'^(\w+) != NULL$')
RE_V_AFTER_BYTES = re.compile(r'^non-zero byte offsets: (.*)$')
RE_V_KV = re.compile(r'^([\w.\[\]]+)=(\(nil\)|-?\d+(?:\.\d+)?)$')


class Model:
    def __init__(self):
        self.types = []      # dicts: name, size, align, line
        self.fntypes = []    # dicts: name, decl, line
        self.struct_names = []
        self.fields = []     # dicts: type, path, off, size, decl, line
        self.enums = []      # dicts: enum, name, value, line
        self.defines = []    # dicts: hdr, name, value (None = empty), expr, line
        self.fmacros = []    # dicts: hdr, name, params, body, line
        self.variant = []    # dicts: kind, type, member, value, line
        self.values_pre = []   # generated C snippets checked before RTMP_Init
        self.values_post = []  # after RTMP_Init
        self.value_syms = set()
        self.sha256 = ''


def parse_layout(text):
    m = Model()
    m.sha256 = hashlib.sha256(text.encode('utf-8')).hexdigest()
    section = None
    cur_type = None
    values_lines = []
    for lineno, raw in enumerate(text.split('\n'), 1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith('#'):
            continue  # documentation, not a checkable fact
        sm = RE_SECTION.match(line)
        if sm:
            title = sm.group(1)
            if title in SECTIONS:
                section = SECTIONS[title]
            elif title.startswith(VALUES_SECTION_PREFIX):
                section = 'values'
            else:
                raise LayoutError('line %d: unknown section %r' % (lineno, title))
            cur_type = None
            continue
        if section is None:
            raise LayoutError('line %d: text before the first section: %r' % (lineno, line))

        if section in ('typedefs', 'structs'):
            tm = RE_TYPE_SIZE.match(line)
            if tm:
                name = tm.group(1).strip()
                m.types.append(dict(name=name, size=int(tm.group(2)),
                                    align=int(tm.group(3)), line=lineno,
                                    section=section))
                if section == 'structs':
                    m.struct_names.append(name)
                cur_type = name
                continue
            fm = RE_TYPE_FN.match(line)
            if fm and section == 'typedefs':
                m.fntypes.append(dict(name=fm.group(1), decl=fm.group(2), line=lineno))
                cur_type = None
                continue
            fl = RE_FIELD.match(line)
            if fl and section == 'structs' and cur_type is not None:
                full = fl.group(1)
                if not full.startswith(cur_type + '.'):
                    raise LayoutError('line %d: field %r does not belong to TYPE %r'
                                      % (lineno, full, cur_type))
                path = full[len(cur_type) + 1:]
                if not re.match(r'^\w+(\[\d+\])?(\.\w+(\[\d+\])?)*$', path):
                    raise LayoutError('line %d: cannot parse member path %r' % (lineno, path))
                m.fields.append(dict(type=cur_type, path=path, off=int(fl.group(2)),
                                     size=int(fl.group(3)), decl=fl.group(4).strip(),
                                     line=lineno))
                continue
        elif section == 'enums':
            em = RE_ENUM.match(line)
            if em:
                m.enums.append(dict(enum=em.group(1), name=em.group(2),
                                    value=int(em.group(3)), line=lineno))
                continue
        elif section == 'defines':
            dm = RE_DEFINE_VAL.match(line)
            if dm:
                m.defines.append(dict(hdr=dm.group(1), name=dm.group(2),
                                      value=int(dm.group(3)), expr=dm.group(4), line=lineno))
                continue
            dm = RE_DEFINE_EMPTY.match(line)
            if dm:
                m.defines.append(dict(hdr=dm.group(1), name=dm.group(2), value=None,
                                      expr='', line=lineno))
                continue
        elif section == 'fmacros':
            mm = RE_FMACRO.match(line)
            if mm:
                if mm.group(2) not in FMACRO_TESTS:
                    raise LayoutError('line %d: no semantic test known for function-like '
                                      'macro %s; add one to FMACRO_TESTS' % (lineno, mm.group(2)))
                m.fmacros.append(dict(hdr=mm.group(1), name=mm.group(2), params=mm.group(3),
                                      body=mm.group(4), line=lineno))
                continue
        elif section == 'variant':
            vm = RE_VARIANT.match(line)
            if vm:
                rest = vm.group(1)
                pos = 0
                items = []
                while pos < len(rest):
                    im = RE_VARIANT_ITEM.match(rest, pos)
                    if not im or im.end() == pos:
                        raise LayoutError('line %d: cannot parse variant item at %r'
                                          % (lineno, rest[pos:]))
                    if im.group(1):
                        items.append(dict(kind='sizeof', type=im.group(1), member=None,
                                          value=int(im.group(2)), line=lineno))
                    else:
                        items.append(dict(kind='offsetof', type=im.group(3),
                                          member=im.group(4), value=int(im.group(5)),
                                          line=lineno))
                    pos = im.end()
                if not items:
                    raise LayoutError('line %d: empty variant line' % lineno)
                m.variant.extend(items)
                continue
        elif section == 'values':
            values_lines.append((lineno, line))
            continue
        raise LayoutError('line %d: not understood in section %r: %r' % (lineno, section, line))

    if not m.types or not m.fields or not m.enums or not m.defines:
        raise LayoutError('layout.txt lacks one of the expected sections')
    parse_values(m, values_lines)
    return m


def c_str(s):
    """C string literal for s (ASCII assumed)."""
    out = '"'
    for ch in s:
        if ch in '\\"':
            out += '\\' + ch
        elif 32 <= ord(ch) < 127:
            out += ch
        else:
            out += '\\%03o' % ord(ch)
    return out + '"'


def find_rtmp_field(m, key, lineno):
    """Resolve a key from an 'after RTMP_Init' line to a field of RTMP."""
    fields = [f for f in m.fields if f['type'] == 'RTMP']
    exact = [f for f in fields if f['path'] == key]
    if exact:
        return exact[0]
    suffix = [f for f in fields if f['path'].endswith('.' + key)]
    if len(suffix) == 1:
        return suffix[0]
    raise LayoutError('line %d: %r is not a (unique) member of RTMP' % (lineno, key))


def field_kind(decl):
    if decl.startswith('<'):
        return 'other'
    t = decl_type(decl, None)
    if '*' in t:
        return 'pointer'
    if t in ('double', 'float'):
        return 'double'
    return 'integer'


def parse_values(m, lines):
    arrays = {}
    avals = set()
    last_aval = None
    for lineno, line in lines:
        where = 'layout.txt:%d' % lineno
        vm = RE_V_AVAL.match(line)
        if vm:
            sym, val, ln = vm.group(1), vm.group(2), int(vm.group(3))
            m.value_syms.add(sym)
            avals.add(sym)
            last_aval = sym
            m.values_pre.append(
                'g_check(%s, %d, "%s.av_len == %d", %s.av_len == %d);' % (c_str(where), lineno, sym, ln, sym, ln))
            m.values_pre.append(
                'g_check(%s, %d, "%s.av_val bytes", %s.av_val != NULL && %s.av_len >= 0 && '
                'memcmp(%s.av_val, %s, %d) == 0);'
                % (c_str(where), lineno, sym, sym, sym, sym, c_str(val), len(val.encode())))
            continue
        vm = RE_V_NUL.match(line)
        if vm:
            if last_aval is None:
                raise LayoutError('line %d: NUL-termination note without an AVal' % lineno)
            want = vm.group(1) == 'yes'
            expr = '%s.av_val != NULL && %s.av_len >= 0 && %s.av_val[%s.av_len] %s 0' % (
                last_aval, last_aval, last_aval, last_aval, '==' if want else '!=')
            m.values_pre.append('g_check(%s, %d, "%s.av_val NUL-terminated: %s", %s);'
                                % (c_str(where), lineno, last_aval, vm.group(1), expr))
            continue
        vm = RE_V_ARRAY.match(line)
        if vm:
            sym, n, w = vm.group(1), int(vm.group(2)), int(vm.group(3))
            m.value_syms.add(sym)
            arrays[sym] = (n, w)
            m.values_pre.append('g_check(%s, %d, "sizeof %s[0] == %d", sizeof(%s[0]) == %d);'
                                % (c_str(where), lineno, sym, w, sym, w))
            m.values_pre.append('g_symsize(%s, %d, "%s", (const void *)%s, %d);'
                                % (c_str(where), lineno, sym, sym, n * w))
            continue
        vm = RE_V_ELEM.match(line)
        if vm:
            sym, idx, text, hexbytes = vm.group(1), int(vm.group(2)), vm.group(3), vm.group(4)
            if sym not in arrays:
                raise LayoutError('line %d: element of undeclared array %s' % (lineno, sym))
            n, w = arrays[sym]
            bs = [int(b, 16) for b in hexbytes.split()]
            if len(bs) != w or idx >= n:
                raise LayoutError('line %d: element shape does not match %s' % (lineno, sym))
            if bytes(bs).split(b'\0')[0].decode('latin-1') != text:
                raise LayoutError('line %d: text and bytes disagree' % lineno)
            lit = ''.join('\\x%02x' % b for b in bs)
            m.values_pre.append('g_check(%s, %d, "%s[%d] == %s", memcmp(%s[%d], "%s", %d) == 0);'
                                % (c_str(where), lineno, sym, idx, c_str(text).replace('"', '\\"'),
                                   sym, idx, lit, w))
            continue
        vm = RE_V_INIT_NIL.match(line)
        if vm:
            sym = vm.group(1)
            m.value_syms.add(sym)
            m.values_pre.append('g_check(%s, %d, "%s is NULL initially", %s == NULL);'
                                % (c_str(where), lineno, sym, sym))
            continue
        vm = RE_V_CALL_INIT.match(line)
        if vm:
            fn, val = vm.group(1), int(vm.group(2))
            m.values_pre.append('g_eq(%s, %d, "%s() initially", (long long)%s(), %dLL);'
                                % (c_str(where), lineno, fn, fn, val))
            continue
        vm = RE_V_INIT_INT.match(line)
        if vm:
            sym, val = vm.group(1), int(vm.group(2))
            m.value_syms.add(sym)
            m.values_pre.append('g_eq(%s, %d, "%s initially", (long long)%s, %dLL);'
                                % (c_str(where), lineno, sym, sym, val))
            continue
        vm = RE_V_CALL.match(line)
        if vm:
            fn, val = vm.group(1), int(vm.group(2), 0)
            m.values_pre.append('g_eq(%s, %d, "%s()", (long long)%s(), %dLL);'
                                % (c_str(where), lineno, fn, fn, val))
            continue
        vm = RE_V_AFTER.match(line)
        if vm:
            rest = vm.group(1)
            am = RE_V_AFTER_NONNULL.match(rest)
            if am:
                sym = am.group(1)
                m.value_syms.add(sym)
                m.values_post.append('g_check(%s, %d, "%s != NULL after RTMP_Init", %s != NULL);'
                                     % (c_str(where), lineno, sym, sym))
                continue
            am = RE_V_AFTER_BYTES.match(rest)
            if am:
                entries = []
                for tok in am.group(1).split():
                    km = re.match(r'^(\d+)=([0-9a-f]{2})$', tok)
                    if not km:
                        raise LayoutError('line %d: bad byte entry %r' % (lineno, tok))
                    entries.append((int(km.group(1)), int(km.group(2), 16)))
                body = ', '.join('{%d, 0x%02x}' % e for e in entries)
                m.values_post.append(
                    '{\n        static const struct byte_expect want[] = { %s };\n'
                    '        g_bytes(%s, %d, (const unsigned char *)r, sizeof(RTMP), want,\n'
                    '                sizeof want / sizeof want[0]);\n    }'
                    % (body, c_str(where), lineno))
                continue
            toks = rest.split()
            if not toks:
                raise LayoutError('line %d: empty after-RTMP_Init line' % lineno)
            for tok in toks:
                km = RE_V_KV.match(tok)
                if not km:
                    raise LayoutError('line %d: cannot parse %r' % (lineno, tok))
                key, val = km.group(1), km.group(2)
                f = find_rtmp_field(m, key, lineno)
                kind = field_kind(f['decl'])
                acc = 'r->' + f['path']
                if val == '(nil)':
                    if kind != 'pointer':
                        raise LayoutError('line %d: (nil) for non-pointer %s' % (lineno, key))
                    m.values_post.append('g_check(%s, %d, "%s == NULL", %s == NULL);'
                                         % (c_str(where), lineno, acc, acc))
                elif kind == 'double':
                    m.values_post.append('g_check(%s, %d, "%s == %s", %s == %s);'
                                         % (c_str(where), lineno, acc, val, acc,
                                            val if '.' in val else val + '.0'))
                elif kind == 'integer':
                    m.values_post.append('g_eq(%s, %d, "%s", (long long)%s, %sLL);'
                                         % (c_str(where), lineno, acc, acc, int(val)))
                else:
                    raise LayoutError('line %d: cannot compare %s' % (lineno, key))
            continue
        raise LayoutError('line %d: not understood in the values section: %r' % (lineno, line))


# ---------------------------------------------------------------------------
# Declarations -> types
# ---------------------------------------------------------------------------

def decl_type(decl, member):
    """'char * av_val' -> 'char *'; 'char sb_buf[( 16 * 1024 )]' -> 'char [( 16 * 1024 )]'.

    member (the declared name) may be None, in which case the last identifier
    before an optional array suffix is taken as the name."""
    dm = re.match(r'^(.*?)\s*\b(\w+)\s*((?:\[[^\]]*\])*)$', decl)
    if not dm:
        raise LayoutError('cannot parse declaration %r' % decl)
    if member is not None and dm.group(2) != member:
        raise LayoutError('declaration %r does not declare %r' % (decl, member))
    base = re.sub(r'\s+', ' ', dm.group(1)).strip()
    base = re.sub(r'\* \*', '**', base)
    arr = dm.group(3)
    return base + (' ' + arr if arr else '')


def last_member(path):
    return re.sub(r'\[\d+\]$', '', path.split('.')[-1])


def c_type_ref(name):
    """TYPE name -> C type usable in sizeof()/casts."""
    return name


# C type -> Rust type for the typed-pointer field assertions.
RUST_SCALARS = {
    'int': 'c_int', 'unsigned int': 'c_uint', 'short': 'c_short',
    'unsigned short': 'c_ushort', 'long': 'c_long', 'unsigned long': 'c_ulong',
    'char': 'c_char', 'signed char': 'c_schar', 'unsigned char': 'c_uchar',
    'double': 'c_double', 'float': 'c_float',
    'int8_t': 'i8', 'uint8_t': 'u8', 'int16_t': 'i16', 'uint16_t': 'u16',
    'int32_t': 'i32', 'uint32_t': 'u32', 'int64_t': 'i64', 'uint64_t': 'u64',
    'size_t': 'usize', 'void': 'c_void',
}


def eval_c_int(expr):
    if not re.match(r'^[\d\s()+*/-]+$', expr):
        raise LayoutError('cannot evaluate array bound %r' % expr)
    return int(eval(expr.replace('/', '//'), {'__builtins__': {}}, {}))


def rust_type(ctype, known_types):
    ctype = ctype.strip()
    am = re.match(r'^(.*?)\s*\[([^\]]*)\]$', ctype)
    if am:
        return '[%s; %d]' % (rust_type(am.group(1), known_types), eval_c_int(am.group(2)))
    if ctype.endswith('*'):
        inner = ctype[:-1].strip()
        if inner.startswith('const '):
            return '*const ' + rust_type(inner[6:], known_types)
        return '*mut ' + rust_type(inner, known_types)
    if ctype.startswith('struct '):
        ctype = ctype[7:].strip()
    if ctype in RUST_SCALARS:
        return RUST_SCALARS[ctype]
    if ctype in known_types:
        return ctype
    raise LayoutError('no Rust spelling known for C type %r' % ctype)


# ---------------------------------------------------------------------------
# types.rs inventory
# ---------------------------------------------------------------------------

def scan_types_rs(path):
    try:
        src = open(path, encoding='utf-8').read()
    except OSError as e:
        die('cannot read %s: %s' % (path, e))
    inv = dict(structs=set(), aliases=set(), consts={})
    for mm in re.finditer(r'^\s*pub\s+(?:struct|union)\s+(\w+)', src, re.M):
        inv['structs'].add(mm.group(1))
    for mm in re.finditer(r'^\s*pub\s+type\s+(\w+)\s*=', src, re.M):
        inv['aliases'].add(mm.group(1))
    for mm in re.finditer(r'^\s*pub\s+const\s+(\w+)\s*:\s*([^=]+?)\s*=', src, re.M):
        inv['consts'][mm.group(1)] = mm.group(2)
    return inv


# ---------------------------------------------------------------------------
# Function-like macro tests (semantic, not textual)
# ---------------------------------------------------------------------------

FMACRO_TESTS = {
    'AVC': '''\
    {
        AVal a = AVC("connect");
        static const AVal s = AVC("");
        lt_check(%(where)s, %(line)d, "AVC(\\"connect\\") gives length 7 and the literal",
                 a.av_len == 7 && a.av_val != NULL && memcmp(a.av_val, "connect", 8) == 0);
        lt_check(%(where)s, %(line)d, "AVC(\\"\\") gives length 0 (static initialiser)",
                 s.av_len == 0 && s.av_val != NULL && s.av_val[0] == 0);
    }''',
    'AVMATCH': '''\
    {
        char b1[] = "abc", b2[] = "abc", b3[] = "abd";
        AVal x = { b1, 3 }, y = { b2, 3 }, z = { b3, 3 }, shorter = { b1, 2 };
        AVal nul = { NULL, 5 };
        const AVal *px = &x;
        lt_check(%(where)s, %(line)d, "AVMATCH equal contents in different buffers",
                 AVMATCH(px, &y) ? 1 : 0);
        lt_check(%(where)s, %(line)d, "AVMATCH differing byte", !AVMATCH(&x, &z));
        lt_check(%(where)s, %(line)d, "AVMATCH differing length", !AVMATCH(&x, &shorter));
        lt_check(%(where)s, %(line)d, "AVMATCH compares lengths before bytes", !AVMATCH(&x, &nul));
    }''',
    'RTMPPacket_IsReady': '''\
    {
        RTMPPacket pk;
        RTMPPacket *pp = &pk;
        memset(&pk, 0, sizeof pk);
        pk.m_nBodySize = 10;
        pk.m_nBytesRead = 9;
        lt_check(%(where)s, %(line)d, "RTMPPacket_IsReady false while bytes missing",
                 !RTMPPacket_IsReady(pp));
        pk.m_nBytesRead = 10;
        lt_check(%(where)s, %(line)d, "RTMPPacket_IsReady true when complete",
                 RTMPPacket_IsReady(pp) ? 1 : 0);
        pk.m_nBodySize = 0;
        pk.m_nBytesRead = 0;
        lt_check(%(where)s, %(line)d, "RTMPPacket_IsReady true for an empty body",
                 RTMPPacket_IsReady(&pk) ? 1 : 0);
    }''',
}


# ---------------------------------------------------------------------------
# C generation
# ---------------------------------------------------------------------------

def banner(m, what):
    return ('/* GENERATED by tools/gen_layout.py from layout.txt (sha256 %s).\n'
            ' * Do not edit: change the generator or layout.txt and regenerate.\n'
            ' *\n%s */\n' % (m.sha256[:16], what))


COVERAGE = '''\
 * Coverage of layout.txt (every non-comment line is checked somewhere):
 *   "Scalar/enum/pointer typedefs", "Structs", "Enumerators",
 *   "Object-like #define constants", "Function-like macros"
 *        -> c-tests/layout_test.c (this program, default CRYPTO build)
 *   "Variant" (NO_CRYPTO)
 *        -> c-tests/layout_nocrypto_test.c (separate program, -DNO_CRYPTO)
 *   "Values of exported data symbols"
 *        -> c-tests/globals_values_test.c (run time, links -lrtmp)
 *   struct/field lines again, at Rust compile time
 *        -> src/abi/layout_asserts.rs
 *   '#' comment lines are documentation and are not checked.
'''


def gen_layout_c(m):
    o = []
    o.append(banner(m, COVERAGE + ''' *
 * Build and run (against our headers, or drop -Iinclude to use the system
 * librtmp headers):
 *   gcc -std=c11 -Wall -Wextra -Werror -Iinclude c-tests/layout_test.c \\
 *       -o layout_test && ./layout_test
'''))
    o.append('''
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define LT_ALIGNOF(t) _Alignof(t)
#else
#define LT_ALIGNOF(t) __alignof__(t)
#endif
#define LT_STR_(x) #x
#define LT_STR(x) LT_STR_(x)
''')
    # headers one by one, recording which macros each one defined
    by_hdr = {}
    for d in m.defines:
        by_hdr.setdefault(d['hdr'], []).append(('define', d['name'], d['line']))
    for f in m.fmacros:
        by_hdr.setdefault(f['hdr'], []).append(('fmacro', f['name'], f['line']))
    for h in by_hdr:
        if h not in HEADER_ORDER:
            raise LayoutError('unknown header %r' % h)
    hdr_flags = []
    for h in HEADER_ORDER:
        o.append('\n#include <librtmp/%s>\n' % h)
        for kind, name, line in by_hdr.get(h, []):
            flag = 'lt_hdr_%s_%s' % (h.replace('.', '_'), name)
            o.append('#ifdef %s\nstatic const int %s = 1;\n#else\nstatic const int %s = 0;\n#endif\n'
                     % (name, flag, flag))
            hdr_flags.append((flag, h, name, line))

    o.append('''
static unsigned long lt_checks, lt_failed;

static void lt_check(const char *where, int line, const char *what, int ok)
{
    (void)line;
    lt_checks++;
    if (!ok) {
        lt_failed++;
        printf("FAIL %s: %s\\n", where, what);
    }
}

static void lt_eq(const char *where, int line, const char *what, long long got,
                  long long want)
{
    (void)line;
    lt_checks++;
    if (got != want) {
        lt_failed++;
        printf("FAIL %s: %s = %lld, expected %lld\\n", where, what, got, want);
    }
}
''')

    def W(line):
        return c_str('layout.txt:%d' % line)

    # --- header attribution ---
    o.append('\n/* Each macro is defined by the header layout.txt attributes it to\n'
             ' * (headers are included in the order %s). */\n' % ', '.join(HEADER_ORDER))
    o.append('static void check_headers(void)\n{\n')
    for flag, h, name, line in hdr_flags:
        o.append('    lt_check(%s, %d, "%s defines %s", %s);\n' % (W(line), line, h, name, flag))
    o.append('}\n')

    # --- types ---
    o.append('\n/* TYPE lines: sizeof/alignof; function types: exact type identity. */\n')
    for i, f in enumerate(m.fntypes):
        exp = 'lt_fn_type_%d' % i
        decl = f['decl']
        pat = '( %s )' % f['name']
        if pat not in decl:
            raise LayoutError('line %d: cannot rewrite function type %r' % (f['line'], decl))
        o.append('typedef %s;\n' % decl.replace(pat, '( %s )' % exp, 1))
    o.append('static void check_types(void)\n{\n')
    for f_i, f in enumerate(m.fntypes):
        o.append('    lt_check(%s, %d, "%s is the function type %s", __builtin_types_compatible_p(%s, lt_fn_type_%d));\n'
                 % (W(f['line']), f['line'], f['name'], c_str(f['decl'])[1:-1], f['name'], f_i))
        o.append('    { %s *lt_p = (lt_fn_type_%d *)0; (void)lt_p; }\n' % (f['name'], f_i))
    for t in m.types:
        ct = c_type_ref(t['name'])
        o.append('    lt_eq(%s, %d, "sizeof(%s)", (long long)sizeof(%s), %dLL);\n'
                 % (W(t['line']), t['line'], ct, ct, t['size']))
        o.append('    lt_eq(%s, %d, "alignof(%s)", (long long)LT_ALIGNOF(%s), %dLL);\n'
                 % (W(t['line']), t['line'], ct, ct, t['align']))
    o.append('}\n')

    # --- fields, one function per struct ---
    for sname in m.struct_names:
        fn = 'check_fields_' + re.sub(r'\W', '_', sname)
        o.append('\nstatic void %s(void)\n{\n' % fn)
        for f in [x for x in m.fields if x['type'] == sname]:
            w, ln, p = W(f['line']), f['line'], f['path']
            acc = '((%s *)0)->%s' % (sname, p)
            o.append('    lt_eq(%s, %d, "offsetof(%s, %s)", (long long)offsetof(%s, %s), %dLL);\n'
                     % (w, ln, sname, p, sname, p, f['off']))
            o.append('    lt_eq(%s, %d, "sizeof %s.%s", (long long)sizeof(%s), %dLL);\n'
                     % (w, ln, sname, p, acc, f['size']))
            if not f['decl'].startswith('<'):
                ct = decl_type(f['decl'], last_member(p))
                o.append('    lt_check(%s, %d, "type of %s.%s is %s",\n'
                         '             __builtin_types_compatible_p(__typeof__(%s), %s));\n'
                         % (w, ln, sname, p, ct, acc, ct))
        o.append('}\n')

    # --- enumerators ---
    o.append('\nstatic void check_enumerators(void)\n{\n')
    for e in m.enums:
        o.append('    { %s lt_v = %s; lt_eq(%s, %d, "%s::%s", (long long)lt_v, %dLL); }\n'
                 % (e['enum'], e['name'], W(e['line']), e['line'], e['enum'], e['name'], e['value']))
    o.append('}\n')

    # --- object-like defines ---
    o.append('\nstatic void check_defines(void)\n{\n')
    for d in m.defines:
        w, ln, n = W(d['line']), d['line'], d['name']
        o.append('#ifndef %s\n    lt_check(%s, %d, "%s is defined", 0);\n#else\n' % (n, w, ln, n))
        if d['value'] is None:
            o.append('    lt_check(%s, %d, "%s expands to nothing", sizeof(LT_STR(%s)) == 1);\n'
                     % (w, ln, n, n))
        else:
            v = d['value']
            o.append('    lt_eq(%s, %d, "%s", (long long)(%s), %dLL);\n' % (w, ln, n, n, v))
            o.append('#if (%s) == %d\n    lt_check(%s, %d, "#if %s == %d", 1);\n#else\n'
                     '    lt_check(%s, %d, "#if %s == %d", 0);\n#endif\n'
                     % (n, v, w, ln, n, v, w, ln, n, v))
        o.append('#endif\n')
    o.append('}\n')

    # --- function-like macros ---
    o.append('\nstatic void check_function_macros(void)\n{\n')
    for f in m.fmacros:
        w, ln, n = W(f['line']), f['line'], f['name']
        o.append('#ifndef %s\n    lt_check(%s, %d, "%s is defined", 0);\n#else\n' % (n, w, ln, n))
        o.append(FMACRO_TESTS[n] % dict(where=w, line=ln) + '\n')
        o.append('#endif\n')
    o.append('}\n')

    o.append('''
int main(void)
{
    check_headers();
    check_types();
''')
    for sname in m.struct_names:
        o.append('    check_fields_%s();\n' % re.sub(r'\W', '_', sname))
    o.append('''    check_enumerators();
    check_defines();
    check_function_macros();
    printf("layout: %lu checks, %lu failed\\n", lt_checks, lt_failed);
    return lt_failed ? 1 : 0;
}
''')
    return ''.join(o)


def gen_nocrypto_c(m):
    o = [banner(m, ''' * The "Variant" line of layout.txt: the layout a consumer compiled with
 * -DNO_CRYPTO sees (not the layout of the shipped library).  Includes
 * rtmp.h alone, so it also checks that rtmp.h pulls in amf.h.
 *
 * Build and run:
 *   gcc -std=c11 -Wall -Wextra -Werror -DNO_CRYPTO -Iinclude \\
 *       c-tests/layout_nocrypto_test.c -o layout_nocrypto_test && ./layout_nocrypto_test
''')]
    o.append('''
#ifndef NO_CRYPTO
#define NO_CRYPTO
#endif

#include <stddef.h>
#include <stdio.h>

#include <librtmp/rtmp.h>

static unsigned long lt_checks, lt_failed;

static void lt_check(const char *where, const char *what, int ok)
{
    lt_checks++;
    if (!ok) {
        lt_failed++;
        printf("FAIL %s: %s\\n", where, what);
    }
}

static void lt_eq(const char *where, const char *what, long long got, long long want)
{
    lt_checks++;
    if (got != want) {
        lt_failed++;
        printf("FAIL %s: %s = %lld, expected %lld\\n", where, what, got, want);
    }
}

int main(void)
{
#ifdef CRYPTO
    lt_check("NO_CRYPTO build", "CRYPTO stays undefined when NO_CRYPTO is set", 0);
#else
    lt_check("NO_CRYPTO build", "CRYPTO stays undefined when NO_CRYPTO is set", 1);
#endif
#ifdef __AMF_H__
    lt_check("NO_CRYPTO build", "rtmp.h includes amf.h", 1);
#else
    lt_check("NO_CRYPTO build", "rtmp.h includes amf.h", 0);
#endif
''')
    if not m.variant:
        raise LayoutError('no Variant line found')
    for v in m.variant:
        w = c_str('layout.txt:%d (NO_CRYPTO)' % v['line'])
        if v['kind'] == 'sizeof':
            o.append('    lt_eq(%s, "sizeof(%s)", (long long)sizeof(%s), %dLL);\n'
                     % (w, v['type'], v['type'], v['value']))
        else:
            o.append('    lt_eq(%s, "offsetof(%s, %s)", (long long)offsetof(%s, %s), %dLL);\n'
                     % (w, v['type'], v['member'], v['type'], v['member'], v['value']))
    o.append('''    printf("layout (NO_CRYPTO): %lu checks, %lu failed\\n", lt_checks, lt_failed);
    return lt_failed ? 1 : 0;
}
''')
    return ''.join(o)


def gen_globals_c(m):
    o = [banner(m, ''' * Run-time check of the "Values of exported data symbols" section of
 * layout.txt: initial values of the exported data objects, their symbol
 * sizes, and the state RTMP_Init leaves in a (garbage-filled) handle.
 * Must run in a fresh process (it checks initial values first).
 *
 * Build and run:
 *   gcc -std=c11 -Wall -Wextra -Werror -Iinclude c-tests/globals_values_test.c \\
 *       -o globals_values_test -L<dir of librtmp.so> -lrtmp -ldl
 *   LD_LIBRARY_PATH=<dir of librtmp.so.1> ./globals_values_test
''')]
    o.append('''
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librtmp/rtmp.h>
#include <librtmp/log.h>

/* Exports that no public header declares (declarations from symbols.txt). */
''')
    for sym in sorted(m.value_syms):
        if sym in UNDECLARED_DATA:
            o.append(UNDECLARED_DATA[sym] + '\n')
    o.append('''
static unsigned long g_checks, g_failed;

static void g_check(const char *where, int line, const char *what, int ok)
{
    (void)line;
    g_checks++;
    if (!ok) {
        g_failed++;
        printf("FAIL %s: %s\\n", where, what);
    }
}

static void g_eq(const char *where, int line, const char *what, long long got, long long want)
{
    (void)line;
    g_checks++;
    if (got != want) {
        g_failed++;
        printf("FAIL %s: %s = %lld, expected %lld\\n", where, what, got, want);
    }
}

/* Size of the dynamic symbol that contains addr (the object the program
 * actually uses: the library's, or the executable's copy-relocated one). */
static void g_symsize(const char *where, int line, const char *name, const void *addr,
                      unsigned long want)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    char what[160];
    g_checks++;
    snprintf(what, sizeof what, "dynamic symbol %s has st_size %lu", name, want);
    if (!dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) || sym == NULL ||
        info.dli_sname == NULL || strcmp(info.dli_sname, name) != 0) {
        g_failed++;
        printf("FAIL %s: %s (symbol not found)\\n", where, what);
    } else if ((unsigned long)sym->st_size != want) {
        g_failed++;
        printf("FAIL %s: %s (got %lu)\\n", where, what, (unsigned long)sym->st_size);
    }
    (void)line;
}

struct byte_expect {
    unsigned long offset;
    unsigned char value;
};

/* Every listed byte has its value, every other byte is zero. */
static void g_bytes(const char *where, int line, const unsigned char *p, unsigned long size,
                    const struct byte_expect *want, unsigned long nwant)
{
    unsigned long i, k, shown = 0;
    int bad_other = 0;
    for (k = 0; k < nwant; k++) {
        char what[96];
        snprintf(what, sizeof what, "byte %lu of RTMP after RTMP_Init", want[k].offset);
        g_eq(where, line, what, want[k].offset < size ? p[want[k].offset] : -1,
             want[k].value);
    }
    for (i = 0; i < size; i++) {
        int listed = 0;
        for (k = 0; k < nwant; k++)
            if (want[k].offset == i)
                listed = 1;
        if (!listed && p[i] != 0) {
            bad_other = 1;
            if (shown++ < 20)
                printf("FAIL %s: byte %lu of RTMP after RTMP_Init = 0x%02x, expected 0\\n",
                       where, i, p[i]);
        }
    }
    g_checks++;
    if (bad_other)
        g_failed++;
}

int main(void)
{
    RTMP *r;

    /* ---- initial values (nothing else has run yet) ---- */
''')
    for s in m.values_pre:
        o.append('    ' + s + '\n')
    o.append('''
    /* ---- RTMP_Init on a garbage-filled handle ---- */
    r = malloc(sizeof(RTMP));
    if (r == NULL) {
        printf("FAIL: out of memory\\n");
        return 1;
    }
    memset(r, 0xA5, sizeof(RTMP));
    RTMP_Init(r);
''')
    for s in m.values_post:
        o.append('    ' + s + '\n')
    o.append('''
    free(r);
    printf("globals: %lu checks, %lu failed\\n", g_checks, g_failed);
    return g_failed ? 1 : 0;
}
''')
    return ''.join(o)


# ---------------------------------------------------------------------------
# Rust generation
# ---------------------------------------------------------------------------

def rust_name(cname):
    return cname[7:] if cname.startswith('struct ') else cname


def gen_rust(m, inv):
    known = set(rust_name(s) for s in m.struct_names) | set(t['name'] for t in m.types if ' ' not in t['name'] and '*' not in t['name'])
    o = []
    o.append('use super::types::*;\n')
    o.append('''\
// GENERATED by tools/gen_layout.py from layout.txt (sha256 %s) and the
// names defined in src/abi/types.rs.  Do not edit: change the generator or
// layout.txt and regenerate (`python3 tools/gen_layout.py`).
//
// Compile-time proof that the #[repr(C)] mirrors in types.rs have exactly
// the librtmp 2.4 layout (CRYPTO build): for every TYPE line its size and
// alignment, for every field line its offset, its size and its type (a
// typed raw pointer to the field must coerce to the C type's Rust
// spelling).  Enum typedef aliases and constants are checked when types.rs
// defines them.  Not covered here (C-only facts, see c-tests/): the
// function-type typedefs, the NO_CRYPTO variant, the function-like macros,
// the empty guard macros and the run-time values of the exported data.

#[allow(unused_imports)]
use core::ffi::{
    c_char, c_double, c_float, c_int, c_long, c_schar, c_short, c_uchar, c_uint, c_ulong,
    c_ushort, c_void,
};
use core::mem::{align_of, offset_of, size_of, MaybeUninit};
use core::ptr::addr_of;

/// Size of the pointee of a raw pointer, usable in const context.
const fn pointee_size<T>(_: *const T) -> usize {
    size_of::<T>()
}
''' % m.sha256[:16])

    o.append('\n// ---- TYPE lines ----\n')
    for t in m.types:
        n = t['name']
        ln = t['line']
        if n.endswith('*'):
            base = n[:-1].strip()
            if base in inv['aliases']:
                o.append('const _: () = assert!(size_of::<%s>() == %d, "layout.txt:%d size of %s");\n'
                         % (base, t['size'], ln, n))
                o.append('const _: () = assert!(align_of::<%s>() == %d, "layout.txt:%d align of %s");\n'
                         % (base, t['align'], ln, n))
            else:
                o.append('// layout.txt:%d `%s`: no `%s` alias in types.rs (function pointers are\n'
                         '// spelled as Option<unsafe extern "C" fn(..)> at their use sites).\n'
                         % (ln, n, base))
            continue
        rn = rust_name(n)
        if t['section'] == 'structs' or rn in inv['aliases'] or rn in inv['structs']:
            o.append('const _: () = assert!(size_of::<%s>() == %d, "layout.txt:%d size of %s");\n'
                     % (rn, t['size'], ln, n))
            o.append('const _: () = assert!(align_of::<%s>() == %d, "layout.txt:%d align of %s");\n'
                     % (rn, t['align'], ln, n))
            if rn in inv['aliases'] and t['section'] == 'typedefs':
                o.append('const _: () = {\n    let _: c_int = 0 as %s; // C enum <-> c_int alias\n};\n' % rn)
        else:
            o.append('// layout.txt:%d `%s`: not mirrored in types.rs (yet).\n' % (ln, n))

    o.append('\n// ---- field lines: offset, size, type ----\n')
    for sname in m.struct_names:
        rn = rust_name(sname)
        o.append('const _: () = {\n')
        o.append('    let u = MaybeUninit::<%s>::uninit();\n' % rn)
        o.append('    let p = u.as_ptr();\n')
        o.append('    // SAFETY: addr_of! on a MaybeUninit pointer only computes field addresses; nothing is\n')
        o.append('    // read or written.\n')
        o.append('    unsafe {\n')
        for f in [x for x in m.fields if x['type'] == sname]:
            path, ln = f['path'], f['line']
            o.append('        assert!(offset_of!(%s, %s) == %d, "layout.txt:%d offset of %s.%s");\n'
                     % (rn, path, f['off'], ln, sname, path))
            if f['decl'].startswith('<'):
                o.append('        assert!(pointee_size(addr_of!((*p).%s)) == %d, "layout.txt:%d size of %s.%s");\n'
                         % (path, f['size'], ln, sname, path))
            else:
                rt = rust_type(decl_type(f['decl'], last_member(path)), known)
                o.append('        let f: *const %s = addr_of!((*p).%s);\n' % (rt, path))
                o.append('        assert!(pointee_size(f) == %d, "layout.txt:%d size of %s.%s");\n'
                         % (f['size'], ln, sname, path))
        o.append('    }\n};\n')

    o.append('\n// ---- enumerators and #define constants present in types.rs ----\n')
    found = 0
    for e in m.enums:
        if e['name'] in inv['consts']:
            found += 1
            o.append('const _: () = assert!(%s as i64 == %d, "layout.txt:%d %s");\n'
                     % (e['name'], e['value'], e['line'], e['name']))
    for d in m.defines:
        if d['value'] is not None and d['name'] in inv['consts']:
            found += 1
            o.append('const _: () = assert!(%s as i64 == %d, "layout.txt:%d %s");\n'
                     % (d['name'], d['value'], d['line'], d['name']))
    if not found:
        o.append('// (types.rs defines none of them)\n')
    return ''.join(o)


# ---------------------------------------------------------------------------

def generate(layout_path):
    try:
        text = open(layout_path, encoding='utf-8').read()
    except OSError as e:
        die('cannot read %s: %s' % (layout_path, e))
    try:
        m = parse_layout(text)
        inv = scan_types_rs(TYPES_RS)
        return {
            OUT_LAYOUT_C: gen_layout_c(m),
            OUT_NOCRYPTO_C: gen_nocrypto_c(m),
            OUT_GLOBALS_C: gen_globals_c(m),
            OUT_RUST: gen_rust(m, inv),
        }
    except LayoutError as e:
        die('%s: %s' % (layout_path, e))


def main(argv):
    check = False
    paths = []
    for a in argv[1:]:
        if a == '--check':
            check = True
        elif a in ('-h', '--help'):
            print(__doc__)
            return 0
        elif a.startswith('-'):
            die('unknown option %s' % a)
        else:
            paths.append(a)
    if len(paths) > 1:
        die('at most one layout.txt path')
    layout = paths[0] if paths else DEFAULT_LAYOUT
    outputs = generate(layout)
    stale = []
    for rel, content in sorted(outputs.items()):
        path = os.path.join(REPO, rel)
        if check:
            try:
                cur = open(path, encoding='utf-8').read()
            except OSError:
                cur = None
            if cur != content:
                stale.append(rel)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w', encoding='utf-8') as fh:
                fh.write(content)
            print('wrote %s' % rel)
    if check:
        if stale:
            for rel in stale:
                print('gen_layout.py --check: %s is out of date (run tools/gen_layout.py)' % rel)
            return 1
        print('gen_layout.py --check: %d generated files up to date' % len(outputs))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
