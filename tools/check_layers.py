#!/usr/bin/env python3
"""check_layers.py [--self-test] [ROOT]: the layering and hygiene rules of the repository.

Checks the tree at ROOT (default: the repository this script lives in) and prints one figure per
rule as key=value lines, then each violation; exits 1 when a rule is broken.

  cycles        (a) import cycles among src/**/*.rs, file granularity: `crate::a::b` paths (also
                    inside `use crate::{...}` groups) and `super::` paths resolve to the file of the
                    longest module prefix; references between a module and its own ancestors or
                    descendants do not count (they are the module tree itself)
  export_calls  (b) calls from src/ Rust code to librtmp's exported functions (the `func` names of
                    abi/symbols.txt, RTMP_Log* excepted), outside the function's own definition and
                    #[cfg(test)] items
  io_imports    (c) src/io/** naming crate::ffi or crate::driver
  core_unsafe   (d) `unsafe`, libc or `extern "..."` items in core/ (tests included), libc in
                    core/Cargo.toml
  unsafe_undoc  (e) `unsafe {` blocks outside #[cfg(test)] items with no SAFETY comment on the
                    block's line or the 6 lines above it (*.rs outside target/ and fuzz/; the
                    generated layout asserts excepted)
  broken_links  (f) relative Markdown links in *.md and `docs/...` paths named in *.md, src/**,
                    core/**, c-tests/**, tools/** that do not exist

--self-test builds small trees in a temporary directory, one that passes and one per rule that
breaks it, and checks the rule (and only that rule) reports each broken one.
"""
import os
import re
import signal
import sys
import tempfile

SKIP_DIRS = {"target", ".git", "build", "fuzz", "node_modules"}


def walk(root, sub="", exts=(".rs",)):
    """Files under ROOT/SUB with one of EXTS, skipping build output and VCS directories."""
    base = os.path.join(root, sub)
    out = []
    for d, dirs, files in os.walk(base):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("."))
        out.extend(os.path.join(d, f) for f in sorted(files) if f.endswith(exts))
    return out


def code_only(text):
    """TEXT with comments removed and string/char literal contents blanked; newlines are kept, so
    line numbers stay the same."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 40]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            end = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\(x..|u\{[0-9a-fA-F]*\}|.)|[^\\'])'", text[i:i + 12])
            if m:
                out.append("' '")
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_mask(code_lines):
    """Per line: True inside a #[cfg(test)] item (the attribute line through the item's closing
    brace, or its `;`)."""
    mask = [False] * len(code_lines)
    i = 0
    while i < len(code_lines):
        if re.match(r"\s*#\[cfg\(test\)\]", code_lines[i]):
            depth, started, j = 0, False, i
            while j < len(code_lines):
                line = code_lines[j] if j > i else code_lines[j].split("]", 1)[1]
                for ch in line:
                    if ch == "{":
                        depth, started = depth + 1, True
                    elif ch == "}":
                        depth -= 1
                mask[j] = True
                if (started and depth <= 0) or (not started and ";" in line):
                    break
                j += 1
            i = j + 1
        else:
            i += 1
    return mask


class Source:
    def __init__(self, path):
        self.path = path
        self.raw = open(path, encoding="utf-8", errors="replace").read()
        self.raw_lines = self.raw.split("\n")
        self.code = code_only(self.raw)
        self.code_lines = self.code.split("\n")
        self.tests = test_mask(self.code_lines)

    def lines(self, with_tests=False):
        """(1-based line number, code-only line) pairs, tests excluded unless WITH_TESTS."""
        return [(i + 1, l) for i, l in enumerate(self.code_lines) if with_tests or not self.tests[i]]


# ---- (a), (c): the module graph of src/

def module_name(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib"):
        rel = rel[:-1]
    return "::".join(rel)


def expand_use_tree(s):
    """Expands a path tree such as `a::{b, c::{d, e}}` into its paths (a::b, a::c::d, a::c::e)."""
    s = s.strip()
    k = s.find("{")
    if k < 0:
        return [s] if s else []
    depth, end = 0, len(s)
    for j in range(k, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            end = j
            break
    prefix, inner = s[:k], s[k + 1:end]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if p == "self":
            out.append(prefix.rstrip(":"))
        else:
            out.extend(prefix + q for q in expand_use_tree(p))
    return out


PATH_RE = re.compile(r"\b(crate|super)((?:::super)*)::((?:\w+::)*(?:\w+|\{))")


def referenced_paths(code):
    """(kind, supers, path) for each crate::/super:: path in CODE, `{...}` groups expanded;
    kind is 'crate' or 'super', supers the number of `super` steps."""
    out = []
    for m in PATH_RE.finditer(code):
        kind, extra, rest = m.group(1), m.group(2), m.group(3)
        supers = 0 if kind == "crate" else 1 + extra.count("super")
        if rest.endswith("{"):
            # take the whole balanced group
            start = m.start(3)
            depth, j = 0, start
            while j < len(code):
                if code[j] == "{":
                    depth += 1
                elif code[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            tree = re.sub(r"\s+", "", code[start:j + 1])
            tree = re.sub(r"\bas\w+", "", tree)
            paths = expand_use_tree(tree)
        else:
            paths = [rest]
        for p in paths:
            out.append((kind, supers, p))
    return out


def module_graph(root):
    src = os.path.join(root, "src")
    files = {module_name(src, f): f for f in walk(src) if "layout_asserts" not in f}
    sources = {m: Source(f) for m, f in files.items()}
    edges = {m: set() for m in files}
    for m, s in sources.items():
        code = "\n".join(l for _, l in s.lines())
        own = m.split("::") if m else []
        # a mod.rs / lib.rs file is its module; `super` of a file module is its parent
        for kind, supers, p in referenced_paths(code):
            parts = [x for x in p.split("::") if x and x != "*"]
            if kind == "super":
                base = own[:len(own) - supers] if supers <= len(own) else []
                parts = base + parts
            for k in range(len(parts), 0, -1):
                cand = "::".join(parts[:k])
                if cand in files:
                    if cand != m and not m.startswith(cand + "::") and not cand.startswith(m + "::") and m != "":
                        edges[m].add(cand)
                    break
    return edges


def cycles(edges):
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = 0
    for v0 in sorted(edges):
        if v0 in index:
            continue
        work = [(v0, iter(sorted(edges[v0])))]
        index[v0] = low[v0] = counter
        counter += 1
        stack.append(v0)
        on.add(v0)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


# ---- (b)

def exported_functions(root):
    names = []
    path = os.path.join(root, "abi", "symbols.txt")
    if not os.path.exists(path):
        return names
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 2 and not line.startswith("#") and f[1] == "func" and not f[0].startswith("RTMP_Log"):
            names.append(f[0])
    return names


def export_calls(root):
    names = exported_functions(root)
    if not names:
        return []
    pat = re.compile(r"(?<![\w\"])(" + "|".join(map(re.escape, names)) + r")\s*\(")
    out = []
    for f in walk(os.path.join(root, "src")):
        for no, line in Source(f).lines():
            for m in pat.finditer(line):
                if re.search(r"\bfn\s+" + re.escape(m.group(1)) + r"\b", line):
                    continue
                out.append(f"{os.path.relpath(f, root)}:{no}: calls {m.group(1)}")
    return out


# ---- (c)

def io_imports(root, edges):
    out = []
    for m in sorted(edges):
        if m == "io" or m.startswith("io::"):
            for t in sorted(edges[m]):
                if t.split("::")[0] in ("ffi", "driver"):
                    out.append(f"src/{m.replace('::', '/')}: imports crate::{t}")
    return out


# ---- (d)

def core_unsafe(root):
    core = os.path.join(root, "core")
    out = []
    if not os.path.isdir(core):
        return out
    toml = os.path.join(core, "Cargo.toml")
    if os.path.exists(toml) and re.search(r"^\s*libc\s*=", open(toml).read(), re.M):
        out.append("core/Cargo.toml: depends on libc")
    for f in walk(core):
        for no, line in Source(f).lines(with_tests=True):
            rel = os.path.relpath(f, root)
            if re.search(r"\bunsafe\b", line):
                out.append(f"{rel}:{no}: unsafe")
            if re.search(r"\blibc\b", line):
                out.append(f"{rel}:{no}: libc")
            if re.search(r'\bextern\s*""', line):
                out.append(f"{rel}:{no}: extern ABI item")
    return out


# ---- (e)

def unsafe_undoc(root):
    out = []
    for f in walk(root):
        if "layout_asserts" in f:
            continue
        s = Source(f)
        for no, line in s.lines():
            if re.search(r"\bunsafe\s*\{", line):
                above = s.raw_lines[max(0, no - 7):no]
                if not any("SAFETY" in a for a in above):
                    out.append(f"{os.path.relpath(f, root)}:{no}: unsafe block without a SAFETY comment")
    return out


# ---- (f)

LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
DOCS_RE = re.compile(r"(?<![\w/.\-])docs/[\w./\-]*")


def broken_links(root):
    out = []
    texts = [(f, True) for f in walk(root, exts=(".md",))]
    for sub in ("src", "core", "c-tests", "tools"):
        texts += [(f, False) for f in walk(root, sub, exts=(".rs", ".c", ".h", ".sh", ".py", ".toml"))
                  if os.path.relpath(f, root) != os.path.join("tools", "check_layers.py")]  # its self-test
    for f, is_md in texts:
        rel = os.path.relpath(f, root)
        for no, line in enumerate(open(f, encoding="utf-8", errors="replace").read().split("\n"), 1):
            if is_md:
                for m in LINK_RE.finditer(line):
                    target = m.group(1).split("#", 1)[0]
                    if not target or re.match(r"^[a-zA-Z][\w+.-]*:", target):
                        continue
                    path = os.path.normpath(os.path.join(os.path.dirname(f), target))
                    if not os.path.exists(path):
                        out.append(f"{rel}:{no}: link to missing {target}")
            for m in DOCS_RE.finditer(line):
                target = m.group(0).rstrip(".")
                if not os.path.exists(os.path.join(root, target)):
                    out.append(f"{rel}:{no}: names missing {target}")
    return out


def run(root, quiet=False):
    """Checks ROOT; returns {rule: [violations]} and prints the figures unless QUIET."""
    edges = module_graph(root)
    cyc = cycles(edges)
    found = {
        "cycles": [" <-> ".join(c) for c in cyc],
        "export_calls": export_calls(root),
        "io_imports": io_imports(root, edges),
        "core_unsafe": core_unsafe(root),
        "unsafe_undoc": unsafe_undoc(root),
        "broken_links": broken_links(root),
    }
    if not quiet:
        for k, v in found.items():
            print(f"{k}={len(v)}")
        for k, v in found.items():
            for x in v:
                print(f"  {k}: {x}")
    return found


# ---- self-test

GOOD = {
    "abi/symbols.txt": "# NAME\tfunc|data\nRTMP_Connect\tfunc\trtmp.h\nRTMP_LogPrintf\tfunc\tlog.h\n"
                       "RTMP_ctrlC\tdata\trtmp.h\t.bss size=4\n",
    "src/lib.rs": "mod ffi;\nmod io;\nmod driver;\n",
    "src/ffi/mod.rs": "pub mod rtmp;\npub mod setup;\n",
    "src/ffi/setup.rs": "pub fn helper() {}\n",
    "src/ffi/rtmp.rs": (
        "use crate::driver::connect;\n"
        "/// exported; the name in a doc comment RTMP_Connect() is no call\n"
        "#[no_mangle]\npub extern \"C\" fn RTMP_Connect() -> i32 {\n"
        "    let s = \"RTMP_Connect(\"; // neither is a string\n"
        "    let _f = crate::ffi::rtmp::RTMP_Connect; RTMP_LogPrintf(s);\n    connect()\n}\n"
        "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { super::RTMP_Connect(); let _ = unsafe { 1 }; }\n}\n"),
    "src/driver/mod.rs": (
        "use crate::io::{net::Socket, self};\n"
        "pub fn connect() -> i32 {\n    // SAFETY: nothing is dereferenced\n    unsafe { 0 }\n}\n"),
    "src/io/mod.rs": "pub mod net;\n",
    "src/io/net.rs": "use super::super::io as _;\npub struct Socket;\n",
    "core/Cargo.toml": "[package]\nname = \"core\"\n[dependencies]\nsha2 = \"0.10\"\n",
    "core/src/lib.rs": "#![forbid(unsafe_code)]\n//! see docs/a.md and [the design](../../docs/a.md)\npub fn f() {}\n",
    "docs/a.md": "# A\nSee [the readme](../README.md#top) and [the web](https://example.org/x.md).\n",
    "README.md": "[doc](docs/a.md) [anchor](#a)\n",
}

BREAK = {
    "cycles": {"src/io/net.rs": "use crate::io::tcp::Socket2;\npub struct Socket;\n",
               "src/io/mod.rs": "pub mod net;\npub mod tcp;\n",
               "src/io/tcp.rs": "use super::net::Socket;\npub struct Socket2;\n"},
    "export_calls": {"src/ffi/setup.rs": "pub fn helper() {\n    super::rtmp::RTMP_Connect ();\n}\n"},
    "io_imports": {"src/io/net.rs": "use crate::{abi, ffi::setup as s};\npub struct Socket;\n"},
    "core_unsafe": {"core/src/lib.rs": "pub fn f() {}\n#[cfg(test)]\nmod t {\n    fn g() { unsafe { libc::abort() } }\n}\n"},
    "unsafe_undoc": {"src/driver/mod.rs": (
        "pub fn connect() -> i32 {\n    // SAFETY: too far up\n\n\n\n\n\n\n    unsafe { 0 }\n}\n")},
    "broken_links": {"README.md": "[doc](docs/b.md)\nmentions docs/gone.md\n"},
}


def write_tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)


def self_test():
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, "good")
        write_tree(good, GOOD)
        found = run(good, quiet=True)
        bad = {k: v for k, v in found.items() if v}
        print(f"self-test good tree: {'PASS' if not bad else 'FAIL ' + repr(bad)}")
        ok &= not bad
        for rule, change in BREAK.items():
            d = os.path.join(tmp, rule)
            write_tree(d, {**GOOD, **change})
            found = run(d, quiet=True)
            hit = found[rule]
            others = {k: v for k, v in found.items() if v and k != rule}
            passed = bool(hit) and not others
            print(f"self-test {rule}: {'PASS' if passed else 'FAIL'} ({len(hit)} found"
                  f"{', others: ' + repr(others) if others else ''})")
            ok &= passed
    return ok


def main(argv):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    args = [a for a in argv if a != "--self-test"]
    if "--self-test" in argv:
        if not self_test():
            return 1
        if not args:
            return 0
    root = os.path.abspath(args[0] if args else here)
    found = run(root)
    return 1 if any(found.values()) else 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    sys.exit(main(sys.argv[1:]))
