#!/usr/bin/env python3
"""ffigen: derive the FFM bindings of native/include/xent.h mechanically, in jextract's shape.

The C header is parsed by castxml (a real C front end: clang), never by regular expressions:

  castxml --castxml-output=1 --castxml-cc-gnu-c <cc> -x c -std=c11 xent.h   functions, enums, typedefs,
                                                                            structs (offsets, sizes)
  castxml ... -E -dD xent.h                                                 the header's #defines
  castxml ... on a probe file `enum { m = (MACRO) };`                       their integer values

Only declarations located in the header itself are emitted (not <stdint.h>'s). The output
(dev.xent.ffi) is a pure function of the header: sorted by source position, no timestamps, no
absolute paths, so `generate --check` can compare byte for byte.

Output shape, file by file:
  xent_h.java        jextract's header class: C layouts (C_INT, C_LONG, C_POINTER, ...), typedef
                     layouts, enum constants and integer macros as static accessors, and one static
                     holder per function with its FunctionDescriptor (xent_abi_version$descriptor()).
  XentLibrary.java   the per-library part jextract would make static: an instance built from a
                     SymbolLookup holds every symbol address and downcall MethodHandle and has one
                     typed wrapper per function. Deviation from jextract, on purpose: xent loads two
                     libraries exporting the same symbols (libxent_cuda.so, libxent_emu.so) side by
                     side, so a single static, global lookup cannot serve both.
  <struct>.java      one class per struct, jextract's shape: layout() with named fields and the C
                     padding, sizeof(), allocate(SegmentAllocator), per field NAME$layout(),
                     NAME$offset() and a typed static getter and setter.
  package-info.java  says the package is generated and how to regenerate it.

jextract is not used even where installed: its output binds one global library, see above.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_HEADER = Path("native/include/xent.h")
DEFAULT_OUT = Path("java/core/src/main/java/dev/xent/ffi")
PACKAGE = "dev.xent.ffi"
HEADER_CLASS = "xent_h"
LIBRARY_CLASS = "XentLibrary"
REGENERATE = "tools/ffigen/generate"
INSTALL_HINT = "install castxml (Debian/Ubuntu: sudo apt-get install -y castxml)"


class FfigenError(Exception):
    pass


# ---- C model ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CType:
    spelling: str  # as a C programmer writes it: "int32_t", "const float *", "void **"
    kind: str      # "void", "int", "long", "float", "double", "char", "short", "pointer", ...
    base: str = "" # for a typedef of a fundamental type: that type's spelling ("int" for int32_t)

    @property
    def layout(self) -> str:
        return LAYOUTS[self.kind][0]

    @property
    def carrier(self) -> str:
        return LAYOUTS[self.kind][1]


    @property
    def layout_class(self) -> str:
        return LAYOUTS[self.kind][2]

    @property
    def bits(self) -> int:
        return LAYOUTS[self.kind][3]


# kind -> (layout constant in the header class, Java carrier type, Java layout class, size and
# alignment in bits); jextract's choices on LP64, where every scalar is aligned to its size.
LAYOUTS = {
    "bool": ("C_BOOL", "boolean", "ValueLayout.OfBoolean", 8),
    "char": ("C_CHAR", "byte", "ValueLayout.OfByte", 8),
    "short": ("C_SHORT", "short", "ValueLayout.OfShort", 16),
    "int": ("C_INT", "int", "ValueLayout.OfInt", 32),
    "long": ("C_LONG", "long", "ValueLayout.OfLong", 64),
    "long long": ("C_LONG_LONG", "long", "ValueLayout.OfLong", 64),
    "float": ("C_FLOAT", "float", "ValueLayout.OfFloat", 32),
    "double": ("C_DOUBLE", "double", "ValueLayout.OfDouble", 64),
    "pointer": ("C_POINTER", "MemorySegment", "AddressLayout", 64),
}


@dataclass
class CParam:
    name: str
    type: CType


@dataclass
class CFunction:
    name: str
    returns: CType  # kind "void" for void
    params: list[CParam]
    line: int


@dataclass
class CEnum:
    name: str
    values: list[tuple[str, int]]
    line: int


@dataclass
class CTypedef:
    name: str
    type: CType
    line: int


@dataclass
class CMacro:
    name: str
    value: int
    line: int


@dataclass
class CField:
    name: str
    type: CType
    offset: int  # bits from the start of the struct, as castxml reports it


@dataclass
class CStruct:
    name: str
    size: int   # bits, castxml's
    align: int  # bits, castxml's
    fields: list[CField]
    line: int

    def members(self) -> list[CField | int]:
        """The fields in offset order with the C padding between them as byte counts: the struct
        laid out from castxml's offsets, refusing anything a plain FFM struct layout would not
        reproduce (overlap, misalignment, over-alignment, bit counts that are not whole bytes)."""
        out: list[CField | int] = []
        at = 0
        for f in sorted(self.fields, key=lambda f: f.offset):
            if f.offset < at:
                raise FfigenError("struct " + self.name + ": field " + f.name + " at bit " + str(f.offset)
                                  + " overlaps the field before it")
            if f.offset % f.type.bits:
                raise FfigenError("struct " + self.name + ": field " + f.name + " at bit " + str(f.offset)
                                  + " is not aligned to its size (a packed struct cannot be mapped)")
            if f.offset > at:
                out.append((f.offset - at) // 8)
            out.append(f)
            at = f.offset + f.type.bits
        if self.size < at or self.size % 8:
            raise FfigenError("struct " + self.name + " has size " + str(self.size) + " bits, its fields end at bit " + str(at))
        if self.size > at:
            out.append((self.size - at) // 8)
        natural = max((f.type.bits for f in self.fields), default=8)
        if self.align != natural:
            raise FfigenError("struct " + self.name + " is aligned to " + str(self.align) + " bits but its fields to "
                              + str(natural) + ": alignment attributes cannot be mapped")
        if self.size % natural:
            raise FfigenError("struct " + self.name + " has size " + str(self.size) + " bits, not a multiple of its alignment")
        return out


@dataclass
class CHeader:
    functions: list[CFunction] = field(default_factory=list)
    structs: list[CStruct] = field(default_factory=list)
    enums: list[CEnum] = field(default_factory=list)
    typedefs: list[CTypedef] = field(default_factory=list)
    macros: list[CMacro] = field(default_factory=list)


# ---- castxml ------------------------------------------------------------------------------------

def find_compiler() -> str:
    for cc in ([os.environ["CC"]] if os.environ.get("CC") else []) + ["cc", "gcc", "clang"]:
        if shutil.which(cc):
            return cc
    raise FfigenError("castxml needs a GNU-compatible C compiler to emulate (cc, gcc or clang) on PATH, or CC set")


def castxml_base(castxml: str) -> list[str]:
    return [castxml, "--castxml-cc-gnu-c", find_compiler(), "-x", "c", "-std=c11"]


def run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise FfigenError("command failed (" + str(proc.returncode) + "): " + " ".join(cmd) + "\n" + proc.stderr)
    return proc.stdout


def parse_header(header: Path, castxml: str) -> CHeader:
    header = header.resolve()
    with tempfile.TemporaryDirectory(prefix="ffigen-") as tmp:
        xml_path = Path(tmp) / "xent.xml"
        run(castxml_base(castxml) + ["--castxml-output=1", str(header), "-o", str(xml_path)])
        root = ET.parse(xml_path).getroot()
        result = read_declarations(root, header)
        result.macros = read_macros(header, castxml, Path(tmp))
    return result


def read_declarations(root: ET.Element, header: Path) -> CHeader:
    by_id = {e.get("id"): e for e in root}
    files = [e.get("id") for e in root if e.tag == "File" and Path(e.get("name")).resolve() == header]
    if len(files) != 1:
        raise FfigenError("castxml output does not name " + str(header) + " exactly once")
    own = files[0]

    def ctype(type_id: str) -> CType:
        e = by_id[type_id]
        tag = e.tag
        if tag == "FundamentalType":
            return fundamental(e.get("name"), int(e.get("size", "0")))
        if tag == "Typedef":
            target = ctype(e.get("type"))
            return CType(e.get("name"), target.kind, target.base or target.spelling)
        if tag == "CvQualifiedType":
            target = ctype(e.get("type"))
            quals = [q for q in ("const", "volatile") if e.get(q) == "1"]
            if target.kind == "pointer":  # int *const p
                return CType(target.spelling + " " + " ".join(quals), "pointer")
            return CType(" ".join(quals) + " " + target.spelling, target.kind)
        if tag == "PointerType":
            target = ctype(e.get("type"))
            sep = "" if target.spelling.endswith("*") else " "
            return CType(target.spelling + sep + "*", "pointer")
        if tag == "ElaboratedType":
            return ctype(e.get("type"))
        if tag == "Enumeration":
            return CType("enum " + e.get("name"), "int")
        if tag == "Struct":
            if not e.get("name"):
                raise FfigenError("an anonymous struct in " + str(header) + " (line " + str(e.get("line"))
                                  + "): name every struct, its Java class takes that name")
            return CType(e.get("name"), "struct")
        raise FfigenError("unsupported C type " + tag + " (" + type_id + ") in " + str(header)
                          + ": the C ABI allows functions, enums, scalars, pointers and structs of those only")

    def scalar(t: CType, where: str) -> CType:
        """A parameter, return or field type: a struct only behind a pointer."""
        if t.kind == "struct":
            raise FfigenError(where + " is struct " + t.spelling + " by value; the C ABI has structs only behind pointers")
        return t

    out = CHeader()
    for e in root:
        if e.get("file") != own:
            continue
        line = int(e.get("line"))
        if e.tag == "Function":
            params = []
            for i, a in enumerate(e.findall("Argument")):
                name = a.get("name") or "x" + str(i)
                params.append(CParam(name, scalar(ctype(a.get("type")), e.get("name") + " parameter " + name)))
            if e.find("Ellipsis") is not None:
                raise FfigenError(e.get("name") + " is variadic; the C ABI has no variadic functions")
            returns = scalar(ctype(e.get("returns")), e.get("name") + "'s return")
            out.functions.append(CFunction(e.get("name"), returns, params, line))
        elif e.tag == "Struct":
            name = ctype(e.get("id")).spelling
            if e.get("incomplete") == "1":
                raise FfigenError("struct " + name + " is declared but never defined; the bindings need its layout")
            fields = []
            for member in (e.get("members") or "").split():
                m = by_id[member]
                if m.tag != "Field":
                    raise FfigenError("struct " + name + " has a " + m.tag + " member; only plain fields can be mapped")
                if m.get("bits"):
                    raise FfigenError("struct " + name + ": bit-field " + m.get("name") + " cannot be mapped")
                if not m.get("name"):
                    raise FfigenError("struct " + name + " has an anonymous member; name it")
                t = scalar(ctype(m.get("type")), "struct " + name + " field " + m.get("name"))
                if t.kind == "void":
                    raise FfigenError("struct " + name + " field " + m.get("name") + " has type void")
                fields.append(CField(m.get("name"), t, int(m.get("offset"))))
            if not fields:
                raise FfigenError("struct " + name + " has no fields")
            out.structs.append(CStruct(name, int(e.get("size")), int(e.get("align")), fields, line))
        elif e.tag == "Enumeration":
            values = [(v.get("name"), int(v.get("init"))) for v in e.findall("EnumValue")]
            out.enums.append(CEnum(e.get("name"), values, line))
        elif e.tag == "Typedef":
            target = ctype(e.get("type"))
            if target.spelling.startswith("enum "):
                continue  # typedef enum x {..} x: the enum's constants are what matters
            if target.kind == "struct":
                if target.spelling != e.get("name"):
                    raise FfigenError("typedef " + e.get("name") + " names struct " + target.spelling
                                      + ": give the typedef the struct's own name (one Java class each)")
                continue  # typedef struct x {..} x: the struct's class is the binding
            out.typedefs.append(CTypedef(e.get("name"), target, line))
        elif e.tag in ("Union", "Variable"):
            raise FfigenError(e.tag + " " + str(e.get("name")) + " in the header: the C ABI allows functions, enums, "
                              "scalars, pointers and structs of those only")
    # typedefs the functions and structs use but declared elsewhere (int32_t from <stdint.h>) are
    # emitted too, as jextract does for the typedefs a header reaches.
    used: dict[str, CType] = {}
    reached = [[f.returns] + [p.type for p in f.params] for f in out.functions]
    reached += [[fd.type for fd in s.fields] for s in out.structs]
    for types in reached:
        for t in types:
            name = t.spelling.replace("const ", "").replace("*", "").strip()
            if t.kind != "pointer" and re.fullmatch(r"[A-Za-z_]\w*_t", name):
                used[name] = t
    declared = {t.name for t in out.typedefs}
    for name in sorted(used):
        if name not in declared:
            out.typedefs.append(CTypedef(name, CType(used[name].base, used[name].kind), 0))
    out.functions.sort(key=lambda f: f.line)
    out.enums.sort(key=lambda x: x.line)
    out.structs.sort(key=lambda x: x.line)
    out.typedefs.sort(key=lambda x: (x.line, x.name))
    return out


def fundamental(name: str, size: int) -> CType:
    n = name.replace("unsigned ", "").replace("signed ", "")
    if name == "void":
        return CType("void", "void")
    if name == "_Bool":
        return CType("_Bool", "bool")
    if name.startswith("unsigned"):
        raise FfigenError("unsigned type " + name + " in the C ABI: Java has no unsigned carriers, use a signed type")
    kinds = {"char": "char", "short int": "short", "int": "int", "long int": "long",
             "long long int": "long long", "float": "float", "double": "double"}
    if n not in kinds:
        raise FfigenError("unsupported fundamental type " + name)
    kind = kinds[n]
    expected = {"char": 8, "short": 16, "int": 32, "long": 64, "long long": 64, "float": 32, "double": 64}
    if size and expected[kind] != size:
        raise FfigenError(name + " has " + str(size) + " bits here; the bindings assume LP64")
    return CType(name.replace(" int", "") if name != "int" else name, kind)


DEFINE = re.compile(r"^#define\s+([A-Za-z_]\w*)(\(?)\s*(.*)$")
LINEMARK = re.compile(r'^#\s+(\d+)\s+"([^"]*)"')


def read_macros(header: Path, castxml: str, tmp: Path) -> list[CMacro]:
    """Object-like macros defined in the header whose value is an integer constant expression."""
    text = run(castxml_base(castxml) + ["-E", "-dD", str(header)])
    current, line = None, 0
    candidates: list[tuple[str, int]] = []
    for raw in text.splitlines():
        m = LINEMARK.match(raw)
        if m:
            line, current = int(m.group(1)), m.group(2)
            continue
        d = DEFINE.match(raw)
        if d and current and Path(current).resolve() == header:
            name, function_like, body = d.groups()
            if not function_like and body.strip() and not name.startswith("_"):
                candidates.append((name, line))
        line += 1
    values = evaluate_macros(header, castxml, tmp, [n for n, _ in candidates])
    return [CMacro(n, values[n], ln) for n, ln in candidates if n in values]


def evaluate_macros(header: Path, castxml: str, tmp: Path, names: list[str]) -> dict[str, int]:
    """Let clang evaluate each macro as an enumerator (`enum { m = (NAME) };`); those that are not
    integer constant expressions (strings, attributes) are left out."""

    def attempt(batch: list[str]) -> dict[str, int] | None:
        probe = tmp / "macros.c"
        body = "".join("enum { ffigen__" + n + " = (" + n + ") };\n" for n in batch)
        probe.write_text('#include "' + str(header) + '"\n' + body)
        out = tmp / "macros.xml"
        proc = subprocess.run(castxml_base(castxml) + ["--castxml-output=1", str(probe), "-o", str(out)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            return None
        found = {}
        for v in ET.parse(out).getroot().iter("EnumValue"):
            if v.get("name").startswith("ffigen__"):
                found[v.get("name")[len("ffigen__"):]] = int(v.get("init"))
        return found

    if not names:
        return {}
    together = attempt(names)
    if together is not None:
        return together
    values = {}
    for n in names:
        one = attempt([n])
        if one:
            values.update(one)
    return values


# ---- Java emission ------------------------------------------------------------------------------

def banner(header_rel: str) -> str:
    return ("// GENERATED by " + REGENERATE + " from " + header_rel + ". DO NOT EDIT.\n"
            "// Regenerate after changing the header: " + REGENERATE + "   (needs castxml: apt-get install -y castxml)\n"
            "// Check that it is current:          " + REGENERATE + " --check\n")


def snippet(f: CFunction) -> str:
    params = ", ".join(c_decl(p.type, p.name) for p in f.params) or "void"
    return c_decl(f.returns, f.name) + "(" + params + ")"


def c_decl(t: CType, name: str) -> str:
    return t.spelling + ("" if t.spelling.endswith("*") else " ") + name


def java_name(name: str) -> str:
    return name + "$" if name in JAVA_KEYWORDS else name


JAVA_KEYWORDS = set("""abstract assert boolean break byte case catch char class const continue default do double else enum
extends final finally float for goto if implements import instanceof int interface long native new package private
protected public return short static strictfp super switch synchronized this throw throws transient try void volatile
while true false null var record yield sealed permits""".split())


def descriptor(f: CFunction) -> str:
    args = ", ".join(HEADER_CLASS + "." + p.type.layout for p in f.params)
    if f.returns.kind == "void":
        return "FunctionDescriptor.ofVoid(" + args + ")"
    return "FunctionDescriptor.of(" + HEADER_CLASS + "." + f.returns.layout + (", " + args if args else "") + ")"


def emit_header_class(h: CHeader, header_rel: str) -> str:
    imports = ["java.lang.foreign.AddressLayout", "java.lang.foreign.FunctionDescriptor", "java.lang.foreign.MemoryLayout",
               "java.lang.foreign.ValueLayout"]
    if h.structs:
        imports += ["java.lang.foreign.GroupLayout", "java.lang.foreign.MemorySegment", "java.lang.foreign.SegmentAllocator"]
    o = [banner(header_rel), "package " + PACKAGE + ";\n\n"]
    if h.structs:
        o.append("import static java.lang.foreign.MemoryLayout.PathElement.groupElement;\n\n")
    o += ["import " + i + ";\n" for i in sorted(imports)]
    o += ["\n/**\n",
         " * Constants, C layouts, function descriptors and structs of {@code " + header_rel + "}, in\n",
         " * jextract's header-class shape, with one deviation: each struct is a nested class here\n",
         " * ({@code xent_h.xent_tensor}) rather than a file of its own, so that the header's bindings are\n",
         " * one generated file. The symbol addresses and downcall handles are not here but in\n",
         " * {@link " + LIBRARY_CLASS + "}, one instance per loaded library (see there why).\n",
         " */\n",
         "@SuppressWarnings({\"unused\", \"restricted\"})\n",
         "public final class " + HEADER_CLASS + " {\n\n",
         "    " + HEADER_CLASS + "() {\n        // Should not be called directly\n    }\n\n",
         "    // C layouts (LP64, as jextract emits them on Linux)\n",
         "    public static final ValueLayout.OfBoolean C_BOOL = ValueLayout.JAVA_BOOLEAN;\n",
         "    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;\n",
         "    public static final ValueLayout.OfShort C_SHORT = ValueLayout.JAVA_SHORT;\n",
         "    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;\n",
         "    public static final ValueLayout.OfLong C_LONG_LONG = ValueLayout.JAVA_LONG;\n",
         "    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;\n",
         "    public static final ValueLayout.OfDouble C_DOUBLE = ValueLayout.JAVA_DOUBLE;\n",
         "    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS\n",
         "            .withTargetLayout(MemoryLayout.sequenceLayout(Long.MAX_VALUE, ValueLayout.JAVA_BYTE));\n",
         "    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;\n"]

    if h.typedefs:
        o.append("\n    // typedefs\n")
        for t in h.typedefs:
            o.append("\n    /** {@snippet lang=c : typedef " + t.type.spelling + " " + t.name + " } */\n")
            o.append("    public static final " + t.type.layout_class + " " + t.name + " = " + t.type.layout + ";\n")

    for e in h.enums:
        o.append("\n    // enum " + e.name)
        for name, value in e.values:
            o.append(constant(name, value, "enum " + e.name + "." + name + " = " + str(value)))
    if h.macros:
        o.append("\n    // macros")
        for m in h.macros:
            o.append(constant(m.name, m.value, "#define " + m.name + " " + str(m.value)))

    o.append("\n    // functions: one descriptor holder each, in header order\n")
    for f in h.functions:
        o.append("\n    private static final class " + f.name + " {\n")
        o.append("        static final FunctionDescriptor DESC = " + descriptor(f) + ";\n    }\n\n")
        o.append("    /**\n     * Function descriptor for:\n     * {@snippet lang=c :\n")
        o.append("     * " + snippet(f) + "\n     * }\n     */\n")
        o.append("    public static FunctionDescriptor " + f.name + "$descriptor() {\n")
        o.append("        return " + f.name + ".DESC;\n    }\n")
    if h.structs:
        o.append("\n    // structs: one nested class each, in header order\n")
        o += [emit_struct_class(st) for st in h.structs]
    o.append("}\n")
    return "".join(o)


def constant(name: str, value: int, doc: str) -> str:
    jtype, lit = ("int", "(int)" + str(value) + "L") if -2**31 <= value < 2**31 else ("long", str(value) + "L")
    return ("\n    private static final " + jtype + " " + name + " = " + lit + ";\n\n"
            "    /** {@snippet lang=c : " + doc + " } */\n"
            "    public static " + jtype + " " + name + "() {\n        return " + name + ";\n    }\n")


def emit_library_class(h: CHeader, header_rel: str) -> str:
    o = [banner(header_rel), "package " + PACKAGE + ";\n\n",
         "import java.lang.foreign.Linker;\n",
         "import java.lang.foreign.MemorySegment;\n",
         "import java.lang.foreign.SymbolLookup;\n",
         "import java.lang.invoke.MethodHandle;\n",
         "import java.util.NoSuchElementException;\n",
         "import java.util.Objects;\n\n",
         "/**\n",
         " * The functions of {@code " + header_rel + "} bound in one loaded library: symbol addresses,\n",
         " * downcall handles and typed wrappers, jextract-style.\n",
         " *\n",
         " * <p>Deviation from jextract, on purpose: jextract resolves every symbol once, statically,\n",
         " * through one global {@code SymbolLookup}. xent loads two libraries exporting the same symbols\n",
         " * side by side ({@code libxent_cuda.so} and {@code libxent_emu.so}), so the addresses and\n",
         " * handles live in an instance built from that library's lookup. The descriptors stay static\n",
         " * per function in {@link " + HEADER_CLASS + "}, as jextract has them. Every symbol is bound in the\n",
         " * constructor, so a library missing one fails there, once, and never in the middle of a call.\n",
         " */\n",
         "@SuppressWarnings(\"restricted\") // downcallHandle: callers run with --enable-native-access\n",
         "public final class " + LIBRARY_CLASS + " {\n\n",
         "    private static final Linker LINKER = Linker.nativeLinker();\n\n",
         "    private final SymbolLookup lookup;\n"]
    for f in h.functions:
        o.append("    private final MemorySegment " + f.name + "$ADDR;\n")
        o.append("    private final MethodHandle " + f.name + "$MH;\n")
    o.append("\n    /**\n     * Binds every function of the header in {@code lookup}.\n     *\n")
    o.append("     * @throws NoSuchElementException naming the first symbol the library lacks\n     */\n")
    o.append("    public " + LIBRARY_CLASS + "(SymbolLookup lookup) {\n")
    o.append("        this.lookup = Objects.requireNonNull(lookup, \"lookup\");\n")
    for f in h.functions:
        o.append("        " + f.name + "$ADDR = find(lookup, \"" + f.name + "\");\n")
        o.append("        " + f.name + "$MH = LINKER.downcallHandle(" + f.name + "$ADDR, "
                 + HEADER_CLASS + "." + f.name + "$descriptor());\n")
    o.append("    }\n\n")
    o.append("    private static MemorySegment find(SymbolLookup lookup, String symbol) {\n")
    o.append("        return lookup.find(symbol).orElseThrow(() -> new NoSuchElementException(\"symbol not found: \" + symbol));\n")
    o.append("    }\n\n")
    o.append("    /** The lookup the symbols were bound from. */\n")
    o.append("    public SymbolLookup lookup() {\n        return lookup;\n    }\n")
    for f in h.functions:
        o.append(emit_wrapper(f))
    o.append("}\n")
    return "".join(o)


def emit_wrapper(f: CFunction) -> str:
    params = [(java_name(p.name), p.type.carrier) for p in f.params]
    sig = ", ".join(t + " " + n for n, t in params)
    args = ", ".join(n for n, _ in params)
    ret = "void" if f.returns.kind == "void" else f.returns.carrier
    doc = "     * {@snippet lang=c :\n     * " + snippet(f) + "\n     * }\n"
    o = ["\n    /**\n     * Address of:\n" + doc + "     */\n",
         "    public MemorySegment " + f.name + "$address() {\n        return " + f.name + "$ADDR;\n    }\n\n",
         "    /**\n     * Downcall handle for:\n" + doc + "     */\n",
         "    public MethodHandle " + f.name + "$handle() {\n        return " + f.name + "$MH;\n    }\n\n",
         "    /**\n" + doc + "     */\n",
         "    public " + ret + " " + f.name + "(" + sig + ") {\n",
         "        var mh$ = " + f.name + "$MH;\n",
         "        try {\n",
         "            " + ("" if ret == "void" else "return (" + ret + ") ") + "mh$.invokeExact(" + args + ");\n",
         "        } catch (RuntimeException | Error ex$) {\n",
         "            throw ex$;\n",
         "        } catch (Throwable ex$) {\n",
         "            throw new IllegalStateException(\"" + f.name + ": the downcall threw \" + ex$, ex$);\n",
         "        }\n",
         "    }\n"]
    return "".join(o)


def emit_struct_class(st: CStruct) -> str:
    """One nested class per struct, jextract's shape: the layout with named fields and the C padding,
    sizeof/allocate, and per field its layout, offset and a typed static getter and setter."""
    members = st.members()
    c_fields = "".join(" *     " + c_decl(f.type, f.name) + ";\n" for f in st.fields)
    o = ["\n/**\n",
         " * {@snippet lang=c :\n",
         " * typedef struct " + st.name + " {\n" + c_fields + " * } " + st.name + "\n",
         " * }\n",
         " */\n",
         "public static final class " + st.name + " {\n\n",
         "    " + st.name + "() {\n        // Should not be called directly\n    }\n\n",
         "    private static final GroupLayout $LAYOUT = MemoryLayout.structLayout(\n"]
    parts = []
    for m in members:
        if isinstance(m, int):
            parts.append("        MemoryLayout.paddingLayout(" + str(m) + ")")
        else:
            parts.append("        " + HEADER_CLASS + "." + m.type.layout + ".withName(\"" + m.name + "\")")
    o += [",\n".join(parts), "\n    ).withName(\"" + st.name + "\");\n\n",
          "    /** The layout of this struct. */\n",
          "    public static GroupLayout layout() {\n        return $LAYOUT;\n    }\n\n",
          "    /** The size in bytes of this struct. */\n",
          "    public static long sizeof() {\n        return $LAYOUT.byteSize();\n    }\n\n",
          "    /** Allocates one struct ({@code sizeof()} bytes, aligned as the struct) with {@code allocator}. */\n",
          "    public static MemorySegment allocate(SegmentAllocator allocator) {\n",
          "        return allocator.allocate($LAYOUT);\n    }\n"]
    for f in st.fields:
        n, cls, carrier = f.name, f.type.layout_class, f.type.carrier
        getter = java_name(n)
        doc = "     * {@snippet lang=c :\n     * " + c_decl(f.type, n) + "\n     * }\n     */\n"
        o += ["\n    private static final " + cls + " " + n + "$LAYOUT = (" + cls + ") $LAYOUT.select(groupElement(\"" + n + "\"));\n\n",
              "    /**\n     * Layout for field:\n" + doc,
              "    public static " + cls + " " + n + "$layout() {\n        return " + n + "$LAYOUT;\n    }\n\n",
              "    private static final long " + n + "$OFFSET = " + str(f.offset // 8) + ";\n\n",
              "    /**\n     * Offset for field:\n" + doc,
              "    public static long " + n + "$offset() {\n        return " + n + "$OFFSET;\n    }\n\n",
              "    /**\n     * Getter for field:\n" + doc,
              "    public static " + carrier + " " + getter + "(MemorySegment struct) {\n",
              "        return struct.get(" + n + "$LAYOUT, " + n + "$OFFSET);\n    }\n\n",
              "    /**\n     * Setter for field:\n" + doc,
              "    public static void " + getter + "(MemorySegment struct, " + carrier + " fieldValue) {\n",
              "        struct.set(" + n + "$LAYOUT, " + n + "$OFFSET, fieldValue);\n    }\n"]
    o.append("}\n")
    return indent("".join(o))


def indent(text: str) -> str:
    return "".join("    " + line if line.strip() else line for line in text.splitlines(True))


def emit_package_info(header_rel: str) -> str:
    return (banner(header_rel)
            + "/**\n"
            + " * FFM bindings of {@code " + header_rel + "}, generated by {@code " + REGENERATE + "} (castxml\n"
            + " * parses the header; the output has jextract's shape). Never edit these files: change the\n"
            + " * header, run the generator, commit both. {@code XentBindingsTest} fails when they disagree.\n"
            + " *\n"
            + " * <p>{@link " + PACKAGE + "." + HEADER_CLASS + "} holds constants and static function\n"
            + " * descriptors, and a nested class per struct (e.g. {@code xent_h.xent_tensor}) with its layout,\n"
            + " * size and field accessors; {@link " + PACKAGE + "." + LIBRARY_CLASS + "} binds the functions in one\n"
            + " * loaded library.\n"
            + " * Only {@code dev.xent.engine.cuda} uses this package.\n"
            + " */\n"
            + "package " + PACKAGE + ";\n")


def render(h: CHeader, header_rel: str) -> dict[str, str]:
    files = {
        HEADER_CLASS + ".java": emit_header_class(h, header_rel),
        LIBRARY_CLASS + ".java": emit_library_class(h, header_rel),
        "package-info.java": emit_package_info(header_rel),
    }
    for st in h.structs:
        if st.name in (HEADER_CLASS, LIBRARY_CLASS):
            raise FfigenError("struct " + st.name + " has the name of a generated class")
    return files


# ---- command line -------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog=REGENERATE, description="Regenerate dev.xent.ffi from native/include/xent.h with castxml.")
    ap.add_argument("--header", type=Path, default=REPO / DEFAULT_HEADER, help="the C header (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=REPO / DEFAULT_OUT, help="output directory (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 with a diff if --out is not current")
    ap.add_argument("--castxml", default=os.environ.get("CASTXML", "castxml"), help="castxml executable (or $CASTXML)")
    args = ap.parse_args(argv)

    castxml = shutil.which(args.castxml)
    if castxml is None:
        print("ffigen: castxml not found (" + args.castxml + "): " + INSTALL_HINT, file=sys.stderr)
        return 2
    header = args.header.resolve()
    if not header.is_file():
        print("ffigen: no header at " + str(header), file=sys.stderr)
        return 2
    try:
        header_rel = header.relative_to(REPO).as_posix()
    except ValueError:
        header_rel = header.name
    try:
        model = parse_header(header, castxml)
        files = render(model, header_rel)
    except FfigenError as e:
        print("ffigen: " + str(e), file=sys.stderr)
        return 1

    out = args.out
    if args.check:
        stale = []
        existing = {p.name for p in out.glob("*.java")} if out.is_dir() else set()
        for name in sorted(set(files) | existing):
            old = (out / name).read_text() if (out / name).is_file() else ""
            new = files.get(name, "")
            if old != new:
                stale.append(name)
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                           "current/" + name, "generated/" + name))
        if stale:
            print("ffigen: out of date: " + ", ".join(stale) + "; run " + REGENERATE, file=sys.stderr)
            return 1
        print("ffigen: " + str(out) + " is current (" + str(len(model.functions)) + " functions)")
        return 0

    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.java"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        path = out / name
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
    print("ffigen: wrote " + str(len(files)) + " files to " + str(out) + " (" + str(len(model.functions))
          + " functions, " + str(len(model.structs)) + " structs, " + str(sum(len(e.values) for e in model.enums)) + " enum constants, "
          + str(len(model.macros)) + " macros)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
