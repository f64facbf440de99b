#!/usr/bin/env python3
"""Compare the Rust `extern "C"` exports of src/ffi/*.rs with our C headers.

Usage:
    tools/check_rust_sigs.py [--src DIR] [--include DIR] [-v]
    tools/check_rust_sigs.py --selftest

Every `#[no_mangle]` (or `#[unsafe(no_mangle)]`) `pub [unsafe] extern "C"
fn` found in DIR/*.rs (default src/ffi) is mapped to a C type signature and
compared with the prototype of the same name in include/librtmp/*.h, as
normalised by `gcc -aux-info` on a file that includes the four headers plus
the declarations of the exports no header declares (from symbols.txt).

The comparison is exact, in terms of C types:
  - `*mut T` must meet `T *` and `*const T` must meet `const T *`;
  - integer types compare by their C type after resolving the <stdint.h> /
    <stddef.h> typedefs (u32 == uint32_t == unsigned int, usize == size_t,
    c_long == long), but `c_char` (char) differs from `i8` (signed char);
  - enum typedefs (AMFDataType, RTMP_LogLevel, HTTPResult, ...) must be
    spelled with the same-named Rust alias, never as a bare c_int;
  - a C function pointer parameter (including the typedef'd function types
    RTMP_LogCallback / HTTP_read_callback) must be
    `Option<unsafe extern "C" fn(..) -> ..>` (C may pass NULL);
  - `va_list` is spelled `*mut __va_list_tag` or `VaList`.
An unknown Rust type is an error.  Exports that no header declares (helper
entry points of the C shim, say) are listed and skipped.

Prints `signatures: N checked, M mismatched` and exits 1 on a mismatch or an
unknown type.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
HEADERS = ['rtmp.h', 'amf.h', 'log.h', 'http.h']

# Exports declared by no public header (prototypes from symbols.txt notes).
EXTRA_DECLS = '''
int AMF3ReadInteger(const char *data, int32_t *valp);
int AMF3ReadString(const char *data, AVal *str);
int RTMP_FindPrefixProperty(AMFObject *obj, const AVal *name, AMFObjectProperty *p);
void RTMP_TLS_Init(void);
'''


class SigError(Exception):
    pass


# ---------------------------------------------------------------------------
# Canonical C types
#
# A type is a string:  base names ('int', 'unsigned long', 'AVal', ...),
# 'const X', 'ptr(X)', 'fn(RET; A, B)' and 'fn(RET; A, ...)' for variadic.
# ---------------------------------------------------------------------------

INT_WORDS = {'signed', 'unsigned', 'short', 'long', 'int', 'char'}

STD_TYPEDEFS = {
    'int8_t': 'signed char', 'uint8_t': 'unsigned char',
    'int16_t': 'short', 'uint16_t': 'unsigned short',
    'int32_t': 'int', 'uint32_t': 'unsigned int',
    'int64_t': 'long', 'uint64_t': 'unsigned long',
    'size_t': 'unsigned long', 'ssize_t': 'long',
}


def canon_int(words):
    ws = sorted(words)
    s = set(words)
    if 'char' in s:
        if 'unsigned' in s:
            return 'unsigned char'
        if 'signed' in s:
            return 'signed char'
        return 'char'
    uns = 'unsigned' in s
    n_long = ws.count('long')
    if 'short' in s:
        base = 'short'
    elif n_long == 2:
        base = 'long long'
    elif n_long == 1:
        base = 'long'
    else:
        base = 'int'
    return ('unsigned ' if uns else '') + base


def split_top(s, sep=','):
    """Split at top-level separators (outside (), <>, [])."""
    parts, depth, cur = [], 0, ''
    i = 0
    while i < len(s):
        ch = s[i]
        if ch in '(<[':
            depth += 1
        elif ch in ')>]':
            if ch == '>' and i > 0 and s[i - 1] == '-':
                pass  # '->' is not a bracket
            else:
                depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
        i += 1
    if cur.strip() or parts:
        parts.append(cur)
    return [p.strip() for p in parts]


class CTypes:
    """Parses C type spellings as printed by gcc -aux-info."""

    def __init__(self, fn_typedefs, enum_typedefs, known_names):
        self.fn_typedefs = fn_typedefs      # name -> canonical 'fn(...)'
        self.enum_typedefs = enum_typedefs  # set of names
        self.known = known_names            # struct / typedef names

    def parse(self, text):
        t = re.sub(r'\s+', ' ', text.strip())
        t = t.replace('(*)', '*')
        if t == '...':
            return '...'
        # function pointer with parameter list: RET (*)(ARGS) after '(*)'->'*'
        fm = re.match(r'^(.*?)\s*\(\s*\*\s*\)\s*\((.*)\)$', text.strip())
        if fm:
            return 'ptr(%s)' % self.fn(fm.group(1), fm.group(2))
        toks = re.findall(r'\w+|\*', t)
        if not toks:
            raise SigError('empty C type %r' % text)
        # split into base part and pointer levels (each '*' optionally
        # followed by 'const', which is a top-level qualifier of that level)
        base, i = [], 0
        while i < len(toks) and toks[i] != '*':
            base.append(toks[i])
            i += 1
        levels = []
        while i < len(toks):
            if toks[i] != '*':
                raise SigError('cannot parse C type %r' % text)
            i += 1
            const = False
            while i < len(toks) and toks[i] in ('const', 'volatile', 'restrict', '__restrict'):
                const = const or toks[i] == 'const'
                i += 1
            levels.append(const)
        is_const = 'const' in base
        words = [w for w in base if w not in ('const', 'volatile', 'struct', 'enum', 'union')]
        if words and all(w in INT_WORDS for w in words):
            name = canon_int(words)
        elif len(words) == 1:
            name = words[0]
            if name in STD_TYPEDEFS:
                name = STD_TYPEDEFS[name]
            elif name == '__va_list_tag' and levels:
                # va_list as a parameter decays to struct __va_list_tag *
                levels = levels[1:]
                name = 'va_list'
            elif name in self.fn_typedefs:
                name = self.fn_typedefs[name]
            elif name in ('void', 'double', 'float', 'va_list', 'FILE', 'sockaddr') \
                    or name in self.known or name in self.enum_typedefs:
                pass
            else:
                raise SigError('unknown C type name %r in %r' % (name, text))
        else:
            raise SigError('cannot parse C type %r' % text)
        cur = ('const ' + name) if is_const else name
        for idx, const in enumerate(levels):
            cur = 'ptr(%s)' % cur
            if const and idx != len(levels) - 1:
                cur = 'const ' + cur
        return cur

    def fn(self, ret, args):
        a = split_top(args)
        if a == ['void'] or a == []:
            a = []
        parsed = [self.parse(x) for x in a]
        return 'fn(%s; %s)' % (self.parse(ret), ', '.join(parsed))


def strip_param_name(p):
    """'const char *fmt' -> 'const char *'; 'va_list' -> 'va_list'."""
    p = p.strip()
    if p in ('void', '...'):
        return p
    m = re.match(r'^(.*?[\w\*\s])\s*\b([A-Za-z_]\w*)$', p)
    if m:
        head, name = m.group(1).strip(), m.group(2)
        head_words = re.findall(r'\w+', head)
        # only a name if what precedes it is a complete type
        if head_words and not (name in INT_WORDS or name in ('const', 'void', 'double', 'float')):
            if head.endswith('*') or head_words[-1] not in ('const', 'struct', 'enum', 'unsigned', 'signed'):
                return head
    return p


def header_info(include_dir):
    """Scan our headers (preprocessed) for typedef names and function types."""
    fn_raw, enums, known = {}, set(), set()
    text = ''
    for h in HEADERS:
        text += open(os.path.join(include_dir, 'librtmp', h), encoding='utf-8').read() + '\n'
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    text = re.sub(r'//[^\n]*', ' ', text)
    for m in re.finditer(r'typedef\s+([\w\s\*]+?)\s*\(\s*(\w+)\s*\)\s*\(([^)]*)\)\s*;', text):
        fn_raw[m.group(2)] = (m.group(1), m.group(3))
    for m in re.finditer(r'typedef\s+enum\s*\w*\s*\{[^}]*\}\s*(\w+)\s*;', text):
        enums.add(m.group(1))
    for m in re.finditer(r'typedef\s+struct\s+(\w+)\s*\{[^}]*?\}\s*(\w+)\s*;', text, re.S):
        known.add(m.group(1))
        known.add(m.group(2))
    for m in re.finditer(r'\bstruct\s+(\w+)', text):
        known.add(m.group(1))
    ct = CTypes({}, enums, known)
    fn = {}
    for name, (ret, params) in fn_raw.items():
        ps = [strip_param_name(p) for p in split_top(params)]
        fn[name] = ct.fn(ret, ', '.join(ps))
    ct.fn_typedefs = fn
    return ct


def c_prototypes(include_dir, ct):
    """name -> (canonical ret, [canonical params], variadic, text) via gcc -aux-info."""
    tmp = tempfile.mkdtemp(prefix='sigcheck-')
    try:
        src = os.path.join(tmp, 'all.c')
        aux = os.path.join(tmp, 'all.aux')
        with open(src, 'w') as fh:
            fh.write('#include <stddef.h>\n#include <stdint.h>\n')
            for h in HEADERS:
                fh.write('#include <librtmp/%s>\n' % h)
            fh.write(EXTRA_DECLS)
        r = subprocess.run(['gcc', '-std=c99', '-c', '-I', include_dir, '-aux-info', aux,
                            src, '-o', os.path.join(tmp, 'all.o')],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SigError('gcc -aux-info failed:\n' + r.stderr)
        lines = open(aux).read().splitlines()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    protos = {}
    inc = os.path.realpath(os.path.join(include_dir, 'librtmp'))
    for line in lines:
        m = re.match(r'^/\* (.*?):(\d+):\w+ \*/ extern (.+?)\b(\w+) \((.*)\);$', line)
        if not m:
            continue
        path, ret, name, params = m.group(1), m.group(3), m.group(4), m.group(5)
        if not (os.path.realpath(path).startswith(inc + os.sep) or path.endswith('all.c')):
            continue  # libc declarations
        ps = split_top(params)
        if ps == ['void']:
            ps = []
        variadic = bool(ps) and ps[-1] == '...'
        if variadic:
            ps = ps[:-1]
        protos[name] = (ct.parse(ret), [ct.parse(p) for p in ps], variadic,
                        '%s%s(%s)' % (ret, name, params))
    if 'RTMP_Init' not in protos:
        raise SigError('no prototypes found in %s' % include_dir)
    return protos


# ---------------------------------------------------------------------------
# Rust side
# ---------------------------------------------------------------------------

RUST_PRIMS = {
    'c_int': 'int', 'c_uint': 'unsigned int', 'c_short': 'short', 'c_ushort': 'unsigned short',
    'c_long': 'long', 'c_ulong': 'unsigned long', 'c_longlong': 'long long',
    'c_ulonglong': 'unsigned long long', 'c_char': 'char', 'c_schar': 'signed char',
    'c_uchar': 'unsigned char', 'c_double': 'double', 'c_float': 'float',
    'i8': 'signed char', 'u8': 'unsigned char', 'i16': 'short', 'u16': 'unsigned short',
    'i32': 'int', 'u32': 'unsigned int', 'i64': 'long', 'u64': 'unsigned long',
    'isize': 'long', 'usize': 'unsigned long', 'size_t': 'unsigned long', 'ssize_t': 'long',
    'f64': 'double', 'f32': 'float', 'c_void': 'void',
    'VaList': 'va_list', 'VaListImpl': 'va_list',
    'FILE': 'FILE', 'sockaddr': 'sockaddr',
}


def strip_comments(s):
    s = re.sub(r'/\*.*?\*/', ' ', s, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', s)


def last_segment(path):
    path = re.sub(r'\s+', '', path)
    return path.split('::')[-1]


class RustTypes:
    def __init__(self, aliases, ct):
        self.aliases = aliases  # name -> rust type text
        self.ct = ct

    def parse(self, t, depth=0):
        if depth > 20:
            raise SigError('alias loop at %r' % t)
        t = re.sub(r'\s+', ' ', t.strip())
        if t in ('()', ''):
            return 'void'
        m = re.match(r'^\*\s*(const|mut)\s+(.+)$', t)
        if m:
            inner = self.parse(m.group(2), depth + 1)
            if inner == 'va_list_tag':
                if m.group(1) != 'mut':
                    raise SigError('va_list must be *mut __va_list_tag')
                return 'va_list'
            return 'ptr(%s%s)' % ('const ' if m.group(1) == 'const' else '', inner)
        m = re.match(r'^(?:(?:core|std)\s*::\s*option\s*::\s*)?Option\s*<(.*)>$', t)
        if m:
            inner = self.parse(m.group(1), depth + 1)
            if inner.startswith('fnptr('):
                return 'ptr(fn(' + inner[len('fnptr('):] + ')'
            raise SigError('Option<%s> is not a function pointer' % m.group(1))
        m = re.match(r'^(?:unsafe\s+)?extern\s+"C(?:-unwind)?"\s+fn\s*\(', t)
        if m:
            i, level = m.end(), 1
            while i < len(t) and level:
                level += {'(': 1, ')': -1}.get(t[i], 0)
                i += 1
            if level:
                raise SigError('unbalanced parentheses in %r' % t)
            rest = t[i:].strip()
            rm = re.match(r'^(?:->\s*(.+))?$', rest)
            if not rm:
                raise SigError('cannot parse function pointer type %r' % t)
            args = [a for a in split_top(t[m.end():i - 1]) if a]
            parsed = [self.parse(self.arg_type(a), depth + 1) for a in args]
            ret = self.parse(rm.group(1), depth + 1) if rm.group(1) else 'void'
            return 'fnptr(%s; %s)' % (ret, ', '.join(parsed))
        if re.match(r'^(?:unsafe\s+)?(?:extern\s+"[^"]*"\s+)?fn\s*\(', t):
            raise SigError('function pointer %r is not extern "C"' % t)
        if not re.match(r'^[\w:]+$', t.replace(' ', '')):
            raise SigError('unsupported Rust type %r' % t)
        name = last_segment(t)
        if name == '__va_list_tag':
            return 'va_list_tag'
        if name in self.ct.enum_typedefs or name in self.ct.known:
            return name
        if name in RUST_PRIMS:
            return RUST_PRIMS[name]
        if name in self.aliases:
            return self.parse(self.aliases[name], depth + 1)
        raise SigError('unknown Rust type %r' % t)

    @staticmethod
    def arg_type(a):
        # 'name: Type' or just 'Type'; '::' is not a name separator
        m = re.match(r'^\s*(?:mut\s+)?[A-Za-z_]\w*\s*:(?!:)\s*(.+)$', a, re.S)
        return m.group(1) if m else a


RE_FN = re.compile(r'\bpub\s+(?:unsafe\s+)?extern\s+"C(?:-unwind)?"\s+fn\s+(\w+)\s*\(')


def rust_exports(src_dir):
    """Yield dicts name, file, line, args (list of texts), ret (text)."""
    out, aliases = [], {}
    files = sorted(f for f in os.listdir(src_dir) if f.endswith('.rs'))
    texts = {}
    for f in files:
        texts[f] = strip_comments(open(os.path.join(src_dir, f), encoding='utf-8').read())
        for m in re.finditer(r'\bpub\s+type\s+(\w+)\s*=\s*([^;]+);', texts[f]):
            aliases[m.group(1)] = m.group(2)
    for f in files:
        s = texts[f]
        for m in RE_FN.finditer(s):
            # attributes directly above (up to the previous item)
            start = m.start()
            prev = max(s.rfind(';', 0, start), s.rfind('}', 0, start), s.rfind('{', 0, start))
            attrs = s[prev + 1:start]
            export_name = None
            em = re.search(r'#\[\s*(?:unsafe\s*\(\s*)?export_name\s*=\s*"(\w+)"', attrs)
            if em:
                export_name = em.group(1)
            elif not re.search(r'#\[\s*(?:unsafe\s*\(\s*)?no_mangle\b', attrs):
                continue
            # argument list up to the matching ')'
            i, depth = m.end(), 1
            while i < len(s) and depth:
                if s[i] == '(':
                    depth += 1
                elif s[i] == ')':
                    depth -= 1
                i += 1
            args_text = s[m.end():i - 1]
            rest = s[i:]
            rm = re.match(r'\s*(?:->\s*(.+?))?\s*(?:where\b|\{)', rest, re.S)
            if not rm:
                raise SigError('%s: cannot find the body of fn %s' % (f, m.group(1)))
            out.append(dict(name=export_name or m.group(1), file=f,
                            line=s.count('\n', 0, m.start()) + 1,
                            args=[a for a in split_top(args_text) if a],
                            ret=(rm.group(1) or '()').strip()))
    return out, aliases


def show(t):
    """Canonical type -> readable C."""
    if t.startswith('ptr(') and t.endswith(')'):
        inner = t[4:-1]
        if inner.startswith('fn('):
            ret, args = inner[3:-1].split('; ', 1) if '; ' in inner else (inner[3:-1], '')
            shown = ', '.join(show(a) for a in split_top(args) if a)
            return '%s (*)(%s)' % (show(ret), shown or 'void')
        return show(inner) + ' *'
    if t.startswith('const ptr('):
        return show(t[6:]) + ' const'
    return t


def check(src_dir, include_dir, verbose=False, out=sys.stdout):
    """Returns (checked, mismatches list, errors list, results dict name->bool)."""
    ct = header_info(include_dir)
    protos = c_prototypes(include_dir, ct)
    exports, aliases = rust_exports(src_dir)
    rt = RustTypes(aliases, ct)
    checked, mismatches, errors, results, skipped = 0, [], [], {}, []
    seen = {}
    for e in exports:
        where = '%s:%d' % (e['file'], e['line'])
        if e['name'] in seen:
            errors.append('%s: %s is also defined at %s' % (where, e['name'], seen[e['name']]))
            results[e['name']] = False
            continue
        seen[e['name']] = where
        if e['name'] not in protos:
            skipped.append(e['name'])
            continue
        cret, cparams, variadic, ctext = protos[e['name']]
        checked += 1
        try:
            rparams = [rt.parse(rt.arg_type(a)) for a in e['args']]
            rret = rt.parse(e['ret'])
        except SigError as ex:
            errors.append('%s: %s: %s' % (where, e['name'], ex))
            results[e['name']] = False
            continue
        problems = []
        if variadic:
            problems.append('C declares it variadic; it cannot be defined in Rust')
        if rret != cret:
            problems.append('return type: Rust %s, C %s' % (show(rret), show(cret)))
        if len(rparams) != len(cparams):
            problems.append('%d parameters in Rust, %d in C' % (len(rparams), len(cparams)))
        for k, (a, b) in enumerate(zip(rparams, cparams)):
            if a != b:
                hint = ''
                if a.startswith('fnptr('):
                    hint = ' (wrap the fn pointer in Option<..>: C may pass NULL)'
                problems.append('parameter %d: Rust %s, C %s%s' % (k + 1, show(a), show(b), hint))
        if problems:
            mismatches.append('%s: %s does not match `%s`:\n    %s'
                              % (where, e['name'], ctext, '\n    '.join(problems)))
            results[e['name']] = False
        else:
            results[e['name']] = True
            if verbose:
                out.write('ok %s\n' % e['name'])
    for m in mismatches:
        out.write('MISMATCH %s\n' % m)
    for er in errors:
        out.write('ERROR %s\n' % er)
    if skipped:
        out.write('skipped (declared in no header): %s\n' % ', '.join(sorted(skipped)))
    if verbose:
        missing = sorted(set(protos) - set(seen))
        out.write('declared but not (yet) defined in Rust: %d\n' % len(missing))
    out.write('signatures: %d checked, %d mismatched%s\n'
              % (checked, len(mismatches) + len(errors),
                 (' (%d unknown-type errors)' % len(errors)) if errors else ''))
    return checked, mismatches, errors, results


# ---------------------------------------------------------------------------
# Self-test: a scratch module with signatures known to be right or wrong.
# ---------------------------------------------------------------------------

SELFTEST_RS = r'''
use core::ffi::{c_char, c_double, c_int, c_uint, c_ulong, c_void, c_short, c_uchar, c_long};
use super::types::*;
pub type RTMP_LogLevel = c_int;
pub type HTTPResult = c_int;
pub type LogCb = unsafe extern "C" fn(c_int, *const c_char, *mut __va_list_tag);
pub type ReadCb = Option<unsafe extern "C" fn(*mut c_void, usize, usize, *mut c_void) -> usize>;

// ---- right ----
#[no_mangle]
pub unsafe extern "C" fn RTMP_Alloc() -> *mut RTMP { core::ptr::null_mut() }
#[no_mangle]
pub extern "C" fn RTMP_LibVersion() -> c_int { 0x020300 }
#[unsafe(no_mangle)]
pub unsafe extern "C" fn AMF_EncodeString(
    output: *mut c_char,
    outend: *mut c_char, // trailing comment
    str: *const AVal,
) -> *mut c_char { output }
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn AMF_DecodeInt16(data: *const c_char) -> u16 { 0 }
#[no_mangle]
pub unsafe extern "C" fn AMFProp_GetType(prop: *mut AMFObjectProperty) -> AMFDataType { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogSetCallback(cb: Option<LogCb>) {}
#[no_mangle]
pub unsafe extern "C" fn HTTP_get(http: *mut HTTP_ctx, url: *const c_char, cb: ReadCb) -> HTTPResult { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogHex(level: c_int, data: *const u8, len: c_ulong) {}
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogSetLevel(lvl: RTMP_LogLevel) {}
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogSetOutput(file: *mut libc::FILE) {}
#[no_mangle]
pub unsafe extern "C" fn RTMP_Connect0(r: *mut RTMP, svc: *mut libc::sockaddr) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_SendCtrl(r: *mut RTMP, t: c_short, o: c_uint, tm: c_uint) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_HashSWF(url: *const c_char, size: *mut c_uint, hash: *mut c_uchar, age: c_int) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_GetTime() -> u32 { 0 }
#[no_mangle]
pub unsafe extern "C" fn AMF3ReadInteger(data: *const c_char, valp: *mut i32) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_TLS_Init() {}
#[no_mangle]
pub unsafe extern "C" fn RTMP_SetupStream(r: *mut RTMP, protocol: c_int, host: *mut AVal,
    port: c_uint, sockshost: *mut AVal, playpath: *mut AVal, tc_url: *mut AVal,
    swf_url: *mut AVal, page_url: *mut AVal, app: *mut AVal, auth: *mut AVal,
    swf_hash: *mut AVal, swf_size: u32, flash_ver: *mut AVal, subscribepath: *mut AVal,
    usher_token: *mut AVal, d_start: c_int, d_stop: c_int, live: c_int, timeout: c_long) {}

// ---- wrong ----
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeNumber(output: *mut c_char, outend: *const c_char, d: c_double) -> *mut c_char { output }
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeInt24(data: *mut c_char) -> c_uint { 0 }
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeInt32(data: *const c_char) -> i64 { 0 }
#[no_mangle]
pub unsafe extern "C" fn AMFProp_GetNumber(prop: *mut AMFObjectProperty) -> f32 { 0.0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogGetLevel() -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_Socket(r: *mut RTMP, extra: c_int) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_Close(r: *const RTMP) {}
#[no_mangle]
pub unsafe extern "C" fn RTMP_Free(r: *mut RTMP) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogHexString(level: c_int, data: *const i8, len: c_ulong) {}
#[no_mangle]
pub unsafe extern "C" fn RTMP_Read(r: *mut RTMP, buf: *mut u8, size: c_int) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_ParsePlaypath(input: *mut AVal, out: *mut AMFObject) {}
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeInt16(output: *mut c_char, outend: *mut c_char, v: c_int) -> *mut c_char { output }
#[no_mangle]
pub unsafe extern "C" fn RTMPSockBuf_Send(sb: *mut RTMPSockBuf, buf: *const c_char, len: Mystery) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn AMF_Reset(obj: &mut AMFObject) {}
#[no_mangle]
pub unsafe extern "C" fn RTMP_Log(level: c_int, fmt: *const c_char) {}
#[no_mangle]
pub unsafe extern "C" fn RTMP_SetBufferMS(r: *mut RTMP, size: c_int, ) -> () {}

// ---- not checked ----
pub unsafe extern "C" fn RTMP_Init(r: *mut RTMP, bogus: c_int) {}   // no #[no_mangle]
#[no_mangle]
pub unsafe extern "C" fn librtmp_rs_shim_helper(x: c_int) -> c_int { x }
'''

SELFTEST_EXPECT = {
    'RTMP_Alloc': True, 'RTMP_LibVersion': True, 'AMF_EncodeString': True,
    'AMF_DecodeInt16': True, 'AMFProp_GetType': True, 'RTMP_LogSetCallback': True,
    'HTTP_get': True, 'RTMP_LogHex': True, 'RTMP_LogSetLevel': True,
    'RTMP_LogSetOutput': True, 'RTMP_Connect0': True, 'RTMP_SendCtrl': True,
    'RTMP_HashSWF': True, 'RTMP_GetTime': True, 'AMF3ReadInteger': True,
    'RTMP_TLS_Init': True, 'RTMP_SetupStream': True,
    'AMF_EncodeNumber': False,      # *const where C has char *
    'AMF_DecodeInt24': False,       # *mut where C has const char *
    'AMF_DecodeInt32': False,       # i64 return vs unsigned int
    'AMFProp_GetNumber': False,     # f32 vs double
    'RTMP_LogGetLevel': False,      # c_int vs RTMP_LogLevel enum
    'RTMP_Socket': False,           # extra parameter
    'RTMP_Close': False,            # *const RTMP vs RTMP *
    'RTMP_Free': False,             # returns c_int, C returns void
    'RTMP_LogHexString': False,     # i8 (signed char) vs uint8_t
    'RTMP_Read': False,             # u8 (unsigned char) vs char
    'RTMP_ParsePlaypath': False,    # wrong pointee struct
    'AMF_EncodeInt16': False,       # c_int vs short
    'RTMPSockBuf_Send': False,      # unknown Rust type
    'AMF_Reset': False,             # reference: unsupported
    'RTMP_Log': False,              # C is variadic
    'RTMP_SetBufferMS': True,       # trailing comma, explicit ()
}


SELFTEST_RS2 = r'''
use core::ffi::{c_char, c_int, c_void};
// function-pointer parameters done wrong (and one more right spelling)
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogSetCallback(
    cb: unsafe extern "C" fn(c_int, *const c_char, *mut __va_list_tag),
) {}
#[no_mangle]
pub unsafe extern "C" fn HTTP_get(
    http: *mut HTTP_ctx,
    url: *const c_char,
    cb: Option<unsafe extern "C" fn(*mut c_void, c_int, usize, *mut c_void) -> usize>,
) -> HTTPResult { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogSetOutput(file: *mut c_void) {}
#[export_name = "RTMP_Pause"]
pub unsafe extern "C" fn rtmp_pause(r: *mut RTMP, do_pause: c_int) -> c_int { 0 }
#[no_mangle]
pub unsafe extern "C" fn RTMP_IsConnected(r: *mut RTMP) -> bool { false }
'''

SELFTEST_EXPECT2 = {
    'RTMP_LogSetCallback': False,   # bare fn pointer: C may pass NULL
    'HTTP_get': False,              # callback parameter 2 is size_t, not int
    'RTMP_LogSetOutput': False,     # void * vs FILE *
    'RTMP_Pause': True,             # #[export_name] is followed
    'RTMP_IsConnected': False,      # bool: unknown type
}


def selftest_one(source, expect, label):
    import io
    tmp = tempfile.mkdtemp(prefix='sigcheck-selftest-')
    try:
        with open(os.path.join(tmp, 'scratch.rs'), 'w') as fh:
            fh.write(source)
        buf = io.StringIO()
        checked, mismatches, errors, results = check(tmp, os.path.join(REPO, 'include'),
                                                     out=buf)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failures = []
    for name, want in sorted(expect.items()):
        got = results.get(name)
        if got is None:
            failures.append('%s: not checked at all' % name)
        elif got != want:
            failures.append('%s: expected %s, got %s' % (name, 'match' if want else 'mismatch',
                                                         'match' if got else 'mismatch'))
    for name in sorted(set(results) - set(expect)):
        failures.append('%s: unexpectedly checked' % name)
    if checked != len(expect):
        failures.append('checked %d, expected %d' % (checked, len(expect)))
    return failures, buf.getvalue()


def selftest(verbose=False):
    failures, out1 = selftest_one(SELFTEST_RS, SELFTEST_EXPECT, 'scratch 1')
    if 'librtmp_rs_shim_helper' not in out1:
        failures.append('undeclared export not reported as skipped')
    if 'signatures: %d checked, 15 mismatched' % len(SELFTEST_EXPECT) not in out1:
        failures.append('summary line of scratch 1 is wrong')
    f2, out2 = selftest_one(SELFTEST_RS2, SELFTEST_EXPECT2, 'scratch 2')
    failures += f2
    if 'Option<..>' not in out2:
        failures.append('no Option<..> hint for a bare fn pointer')
    if verbose or failures:
        sys.stdout.write(out1 + out2)
    if failures:
        for f in failures:
            print('SELFTEST FAIL %s' % f)
        return 1
    exp = list(SELFTEST_EXPECT.values()) + list(SELFTEST_EXPECT2.values())
    n_ok = sum(1 for v in exp if v)
    print('selftest: ok (%d right signatures accepted, %d wrong ones rejected)'
          % (n_ok, len(exp) - n_ok))
    return 0


def main(argv):
    src = os.path.join(REPO, 'src', 'ffi')
    inc = os.path.join(REPO, 'include')
    verbose = False
    args = argv[1:]
    if '--selftest' in args:
        try:
            return selftest('-v' in args or '--verbose' in args)
        except SigError as e:
            print('SELFTEST ERROR %s' % e)
            return 1
    i = 0
    while i < len(args):
        a = args[i]
        if a == '--src' and i + 1 < len(args):
            src = args[i + 1]
            i += 1
        elif a == '--include' and i + 1 < len(args):
            inc = args[i + 1]
            i += 1
        elif a in ('-v', '--verbose'):
            verbose = True
        elif a in ('-h', '--help'):
            print(__doc__)
            return 0
        else:
            sys.stderr.write('check_rust_sigs.py: unknown argument %s\n' % a)
            return 2
        i += 1
    try:
        checked, mismatches, errors, _ = check(src, inc, verbose)
    except SigError as e:
        print('ERROR %s' % e)
        return 1
    return 1 if (mismatches or errors) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
