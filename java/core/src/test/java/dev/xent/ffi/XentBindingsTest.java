package dev.xent.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * native/include/xent.h and the generated dev.xent.ffi must agree: the same functions, with the
 * same parameter and return types, the same enum and macro values, and the same structs, field by
 * field (name, type, byte offset) with the same size and alignment. The header is read three ways,
 * each compared with the compiled bindings:
 *
 * <ol>
 *   <li>{@link #headerParsedByRegexMatchesBindings()}: always; a strict regular-expression parse of
 *       the prototypes (fails on any XENT_API declaration it cannot read, rather than skip it) and
 *       of the structs, laid out here by the LP64 C rules (each field at the next multiple of its
 *       size, the struct rounded up to its widest field);
 *   <li>{@link #headerParsedByCastxmlMatchesBindings()}: where castxml is on PATH; this test's own
 *       reading of castxml's XML, independent of the generator, with castxml's own field offsets and
 *       struct sizes and alignments;
 *   <li>{@link #generatorOutputIsCurrent()}: where castxml and python3 are; {@code
 *       tools/ffigen/generate --check}, a byte-for-byte comparison with a fresh generation.
 * </ol>
 */
class XentBindingsTest {

    /** What a header declares, reduced to what the bindings must reproduce. */
    record Api(Map<String, List<String>> functions, Map<String, Long> constants, Map<String, Struct> structs) {}

    /** A struct: its fields in declaration order, size and alignment in bytes. */
    record Struct(List<Field> fields, long size, long alignment) {}

    /** A field: name, type token and byte offset. */
    record Field(String name, String type, long offset) {}

    // ---- the three readings --------------------------------------------------------------------

    @Test
    void headerParsedByRegexMatchesBindings() throws IOException {
        assertMatchesBindings(parseWithRegex(Files.readString(header())), "regex parse of xent.h");
    }

    @Test
    void headerParsedByCastxmlMatchesBindings() throws Exception {
        assumeTrue(onPath("castxml"), "castxml is not on PATH (apt-get install -y castxml); the regex reading still runs");
        Api castxml = parseWithCastxml(header());
        assertMatchesBindings(castxml, "castxml reading of xent.h");
        assertEquals(parseWithRegex(Files.readString(header())), castxml, "castxml and the regex read the header differently");
    }

    @Test
    void generatorOutputIsCurrent() throws Exception {
        assumeTrue(onPath("castxml") && onPath("python3"), "castxml or python3 is not on PATH");
        Path root = repoRoot();
        ProcessBuilder pb = new ProcessBuilder("python3", root.resolve("tools/ffigen/ffigen.py").toString(), "--check")
                .directory(root.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "generator timed out");
        assertEquals(0, p.exitValue(), "dev.xent.ffi is not what tools/ffigen/generate makes of xent.h; run it:\n" + out);
    }

    // ---- the bindings --------------------------------------------------------------------------

    private static void assertMatchesBindings(Api expected, String source) {
        assertTrue(expected.functions().size() >= 20, source + " found only " + expected.functions().size() + " functions");
        Api actual = bindings();
        assertEquals(new TreeSet<>(expected.functions().keySet()), new TreeSet<>(actual.functions().keySet()),
                "function names differ between " + source + " and XentLibrary");
        for (var e : expected.functions().entrySet()) {
            assertEquals(e.getValue(), actual.functions().get(e.getKey()),
                    "signature of " + e.getKey() + " (return type first) differs between " + source + " and the bindings");
        }
        assertEquals(new TreeMap<>(expected.constants()), new TreeMap<>(actual.constants()),
                "enum constants / macros differ between " + source + " and xent_h");
        assertTrue(expected.structs().size() >= 10, source + " found only " + expected.structs().size() + " structs");
        assertEquals(new TreeSet<>(expected.structs().keySet()), new TreeSet<>(actual.structs().keySet()),
                "struct names differ between " + source + " and the struct classes of dev.xent.ffi");
        for (var e : expected.structs().entrySet()) {
            assertEquals(e.getValue(), actual.structs().get(e.getKey()),
                    "struct " + e.getKey() + " (fields, size, alignment) differs between " + source + " and its class");
        }
    }

    /** Signatures as type tokens (return first): from xent_h's descriptors, checked against XentLibrary's wrappers. */
    static Api bindings() {
        Map<String, List<String>> functions = new TreeMap<>();
        for (Method m : XentLibrary.class.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers()) || Modifier.isStatic(m.getModifiers())
                    || m.getName().contains("$") || m.getName().equals("lookup")) continue;
            FunctionDescriptor d;
            try {
                d = (FunctionDescriptor) xent_h.class.getMethod(m.getName() + "$descriptor").invoke(null);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError("xent_h has no " + m.getName() + "$descriptor()", e);
            }
            List<String> sig = new ArrayList<>();
            sig.add(d.returnLayout().map(XentBindingsTest::token).orElse("void"));
            for (MemoryLayout l : d.argumentLayouts()) sig.add(token(l));
            // The typed wrapper must take and return exactly the descriptor's carriers.
            assertEquals(d.toMethodType().parameterList(), Arrays.asList(m.getParameterTypes()), m.getName() + " wrapper parameters");
            assertEquals(d.toMethodType().returnType(), m.getReturnType(), m.getName() + " wrapper return type");
            functions.put(m.getName(), sig);
        }
        Map<String, Long> constants = new TreeMap<>();
        for (Method m : xent_h.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 0
                    && m.getName().matches("[A-Z][A-Z0-9_]*")) {
                try {
                    constants.put(m.getName(), ((Number) m.invoke(null)).longValue());
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
        }
        Map<String, Struct> structs = new TreeMap<>();
        for (Class<?> c : structClasses()) structs.put(c.getSimpleName(), struct(c));
        return new Api(functions, constants, structs);
    }

    /** The nested classes of xent_h with a static {@code layout()} returning a struct layout. */
    private static List<Class<?>> structClasses() {
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> c : xent_h.class.getDeclaredClasses()) {
            try {
                Method layout = c.getMethod("layout");
                if (Modifier.isStatic(layout.getModifiers()) && layout.getReturnType() == GroupLayout.class) out.add(c);
            } catch (NoSuchMethodException notAStruct) {
                // a function's descriptor holder
            }
        }
        return out;
    }

    /**
     * A struct class as the header would state it. The offset of a field is where its setter
     * writes (probed in a zeroed struct), and must equal {@code NAME$offset()} and the layout's own
     * offset; {@code NAME$layout()} is the layout's member; the getter reads back what the setter
     * wrote; {@code sizeof()} and {@code allocate} agree with the layout.
     */
    private static Struct struct(Class<?> c) {
        String name = c.getSimpleName();
        try {
            StructLayout layout = assertInstanceOf(StructLayout.class, c.getMethod("layout").invoke(null), name + ".layout()");
            assertEquals(Optional.of(name), layout.name(), name + " layout name");
            assertEquals(layout.byteSize(), (long) c.getMethod("sizeof").invoke(null), name + ".sizeof()");
            List<Field> fields = new ArrayList<>();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = (MemorySegment) c.getMethod("allocate", SegmentAllocator.class).invoke(null, arena);
                assertEquals(layout.byteSize(), s.byteSize(), name + ".allocate size");
                assertEquals(0, s.address() % layout.byteAlignment(), name + ".allocate alignment");
                for (MemoryLayout m : layout.memberLayouts()) {
                    if (m instanceof PaddingLayout) continue;
                    String field = m.name().orElseThrow(() -> new AssertionError(name + " has an unnamed member " + m));
                    ValueLayout v = assertInstanceOf(ValueLayout.class, m, name + "." + field);
                    long offset = layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
                    assertEquals(m, c.getMethod(field + "$layout").invoke(null), name + "." + field + "$layout()");
                    assertEquals(offset, (long) c.getMethod(field + "$offset").invoke(null), name + "." + field + "$offset()");
                    Method getter = c.getMethod(field, MemorySegment.class);
                    Method setter = c.getMethod(field, MemorySegment.class, v.carrier());
                    assertEquals(v.carrier(), getter.getReturnType(), name + "." + field + " getter type");
                    s.fill((byte) 0);
                    Object value = probe(v);
                    setter.invoke(null, s, value);
                    assertEquals(value, getter.invoke(null, s), name + "." + field + " getter after setter");
                    assertEquals(offset, firstNonZero(s), name + "." + field + ": where the setter writes");
                    assertEquals(offset + v.byteSize() - 1, lastNonZero(s), name + "." + field + ": where the setter's write ends");
                    fields.add(new Field(field, token(v), offset));
                }
            }
            return new Struct(fields, layout.byteSize(), layout.byteAlignment());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(name + " lacks a jextract-shaped accessor", e);
        }
    }

    /** A value whose every byte is non-zero, so the probe sees the whole write. */
    private static Object probe(ValueLayout v) {
        if (v instanceof AddressLayout) return MemorySegment.ofAddress(0x0102030405060708L);
        if (v.carrier() == int.class) return 0x01020304;
        if (v.carrier() == long.class) return 0x0102030405060708L;
        if (v.carrier() == float.class) return Float.intBitsToFloat(0x3f010203);
        if (v.carrier() == double.class) return Double.longBitsToDouble(0x3ff1020304050607L);
        throw new AssertionError("unexpected field layout " + v);
    }

    private static long firstNonZero(MemorySegment s) {
        for (long i = 0; i < s.byteSize(); i++) if (s.get(ValueLayout.JAVA_BYTE, i) != 0) return i;
        return -1;
    }

    private static long lastNonZero(MemorySegment s) {
        for (long i = s.byteSize() - 1; i >= 0; i--) if (s.get(ValueLayout.JAVA_BYTE, i) != 0) return i;
        return -1;
    }

    private static String token(MemoryLayout l) {
        if (l instanceof AddressLayout) return "pointer";
        if (l instanceof ValueLayout v) {
            if (v.carrier() == int.class) return "i32";
            if (v.carrier() == long.class) return "i64";
            if (v.carrier() == float.class) return "f32";
            if (v.carrier() == double.class) return "f64";
            if (v.carrier() == short.class) return "i16";
            if (v.carrier() == byte.class) return "i8";
        }
        throw new AssertionError("unexpected layout " + l);
    }

    // ---- reading 1: strict regex ---------------------------------------------------------------

    private static final Pattern PROTOTYPE = Pattern.compile(
            "XENT_API\\s+((?:const\\s+)?[A-Za-z_]\\w*(?:\\s*\\*)*)\\s*\\b([a-z_][a-z0-9_]*)\\s*\\(([^()]*)\\)\\s*;");
    private static final Pattern PARAM = Pattern.compile(
            "(?:const\\s+)?([A-Za-z_]\\w*)((?:\\s*\\*)*)\\s*(?:const\\s+)?([A-Za-z_]\\w*)");
    private static final Pattern ENUM = Pattern.compile("typedef\\s+enum\\s+(\\w+)\\s*\\{([^}]*)}\\s*(\\w+)\\s*;");
    private static final Pattern ENUMERATOR = Pattern.compile("\\s*([A-Z][A-Z0-9_]*)\\s*=\\s*(-?\\d+)\\s*");
    private static final Pattern DEFINE = Pattern.compile("(?m)^#define\\s+([A-Z][A-Z0-9_]*)\\s+(-?\\d+)\\s*$");
    private static final Pattern STRUCT = Pattern.compile("typedef\\s+struct\\s+(\\w+)\\s*\\{([^}]*)}\\s*(\\w+)\\s*;");

    static Api parseWithRegex(String text) {
        String code = text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
        Map<String, List<String>> functions = new TreeMap<>();
        Matcher m = PROTOTYPE.matcher(code);
        while (m.find()) {
            List<String> sig = new ArrayList<>();
            sig.add(cType(m.group(1).replace("const", "").replaceAll("\\s", ""), m.group(2)));
            String params = m.group(3).strip();
            if (!params.equals("void")) {
                for (String p : params.split(",")) {
                    Matcher pm = PARAM.matcher(p.strip());
                    if (!pm.matches()) fail("cannot read parameter '" + p.strip() + "' of " + m.group(2));
                    sig.add(cType(pm.group(1) + pm.group(2).replaceAll("\\s", ""), m.group(2)));
                }
            }
            if (functions.put(m.group(2), sig) != null) fail("duplicate prototype " + m.group(2));
        }
        long declarations = Pattern.compile("(?m)^\\s*XENT_API\\b").matcher(code).results().count();
        assertEquals(declarations, functions.size(), "the regex read " + functions.size() + " of " + declarations
                + " XENT_API declarations: a prototype it cannot parse must fail, not be skipped");

        Map<String, Long> constants = new TreeMap<>();
        Matcher e = ENUM.matcher(code);
        while (e.find()) {
            for (String item : e.group(2).split(",")) {
                if (item.isBlank()) continue;
                Matcher em = ENUMERATOR.matcher(item);
                if (!em.matches()) fail("cannot read enumerator '" + item.strip() + "' of " + e.group(1) + " (write every value explicitly)");
                constants.put(em.group(1), Long.parseLong(em.group(2)));
            }
        }
        Matcher d = DEFINE.matcher(code);
        while (d.find()) constants.put(d.group(1), Long.parseLong(d.group(2)));

        Map<String, Struct> structs = new TreeMap<>();
        Matcher st = STRUCT.matcher(code);
        while (st.find()) {
            String name = st.group(1);
            if (!name.equals(st.group(3))) fail("typedef " + st.group(3) + " of struct " + name + ": the names must agree");
            List<Field> fields = new ArrayList<>();
            long at = 0, alignment = 1;
            for (String decl : st.group(2).split(";")) {
                if (decl.isBlank()) continue;
                Matcher fm = PARAM.matcher(decl.strip());
                if (!fm.matches()) fail("cannot read field '" + decl.strip() + "' of struct " + name);
                String type = cType(fm.group(1) + fm.group(2).replaceAll("\\s", ""), name);
                long size = switch (type) {
                    case "i32", "f32" -> 4;
                    case "i64", "f64", "pointer" -> 8;
                    default -> throw new AssertionError("field type " + type + " in struct " + name);
                };
                at = (at + size - 1) / size * size; // LP64: every scalar is aligned to its size
                fields.add(new Field(fm.group(3), type, at));
                at += size;
                alignment = Math.max(alignment, size);
            }
            structs.put(name, new Struct(fields, (at + alignment - 1) / alignment * alignment, alignment));
        }
        long structDeclarations = Pattern.compile("\\bstruct\\s+\\w+\\s*\\{").matcher(code).results().count();
        assertEquals(structDeclarations, structs.size(), "the regex read " + structs.size() + " of " + structDeclarations
                + " struct definitions: one it cannot parse must fail, not be skipped");
        return new Api(functions, constants, structs);
    }

    private static String cType(String type, String function) {
        if (type.endsWith("*")) return "pointer";
        return switch (type) {
            case "void" -> "void";
            case "int32_t", "int" -> "i32";
            case "int64_t" -> "i64";
            case "float" -> "f32";
            case "double" -> "f64";
            default -> throw new AssertionError("type '" + type + "' in " + function + " is not one the C ABI allows");
        };
    }

    // ---- reading 2: castxml --------------------------------------------------------------------

    static Api parseWithCastxml(Path header) throws Exception {
        Path xml = Files.createTempFile("xent-castxml", ".xml");
        try {
            String cc = onPath("gcc") ? "gcc" : onPath("clang") ? "clang" : "cc";
            Process p = new ProcessBuilder("castxml", "--castxml-output=1", "--castxml-cc-gnu-c", cc, "-x", "c", "-std=c11",
                    header.toString(), "-o", xml.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "castxml timed out");
            assertEquals(0, p.exitValue(), "castxml failed:\n" + out);
            var factory = DocumentBuilderFactory.newInstance();
            factory.setExpandEntityReferences(false);
            Document doc = factory.newDocumentBuilder().parse(new ByteArrayInputStream(Files.readAllBytes(xml)));
            Map<String, Element> byId = new HashMap<>();
            String fileId = null;
            NodeList all = doc.getDocumentElement().getChildNodes();
            for (int i = 0; i < all.getLength(); i++) {
                if (all.item(i) instanceof Element el) {
                    byId.put(el.getAttribute("id"), el);
                    if (el.getTagName().equals("File") && sameFile(el.getAttribute("name"), header)) {
                        fileId = el.getAttribute("id");
                    }
                }
            }
            assertNotNull(fileId, "castxml output does not mention " + header);
            Map<String, List<String>> functions = new TreeMap<>();
            Map<String, Long> constants = new TreeMap<>();
            Map<String, Struct> structs = new TreeMap<>();
            for (Element el : byId.values()) {
                if (!fileId.equals(el.getAttribute("file"))) continue;
                if (el.getTagName().equals("Function")) {
                    List<String> sig = new ArrayList<>();
                    sig.add(castxmlType(byId, el.getAttribute("returns")));
                    for (Node n = el.getFirstChild(); n != null; n = n.getNextSibling()) {
                        if (n instanceof Element a && a.getTagName().equals("Argument")) sig.add(castxmlType(byId, a.getAttribute("type")));
                    }
                    functions.put(el.getAttribute("name"), sig);
                } else if (el.getTagName().equals("Enumeration")) {
                    NodeList values = el.getElementsByTagName("EnumValue");
                    for (int i = 0; i < values.getLength(); i++) {
                        Element v = (Element) values.item(i);
                        constants.put(v.getAttribute("name"), Long.parseLong(v.getAttribute("init")));
                    }
                } else if (el.getTagName().equals("Struct")) {
                    List<Field> fields = new ArrayList<>();
                    for (String id : el.getAttribute("members").split("\\s+")) {
                        Element f = byId.get(id);
                        assertEquals("Field", f.getTagName(), "member " + id + " of struct " + el.getAttribute("name"));
                        fields.add(new Field(f.getAttribute("name"), castxmlType(byId, f.getAttribute("type")),
                                bytes(f.getAttribute("offset"))));
                    }
                    structs.put(el.getAttribute("name"), new Struct(fields, bytes(el.getAttribute("size")),
                            bytes(el.getAttribute("align"))));
                }
            }
            // castxml does not report macros; the only one the ABI has is read from the text.
            Matcher d = DEFINE.matcher(Files.readString(header));
            while (d.find()) constants.put(d.group(1), Long.parseLong(d.group(2)));
            return new Api(functions, constants, structs);
        } finally {
            Files.deleteIfExists(xml);
        }
    }

    /** castxml's sizes and offsets are in bits. */
    private static long bytes(String bits) {
        long b = Long.parseLong(bits);
        assertEquals(0, b % 8, "castxml reports " + b + " bits, not whole bytes");
        return b / 8;
    }

    private static boolean sameFile(String name, Path header) throws IOException {
        Path p = Path.of(name);
        return Files.exists(p) && Files.isSameFile(p, header);
    }

    private static String castxmlType(Map<String, Element> byId, String id) {
        Element t = byId.get(id);
        return switch (t.getTagName()) {
            case "PointerType" -> "pointer";
            case "Typedef", "CvQualifiedType", "ElaboratedType" -> castxmlType(byId, t.getAttribute("type"));
            case "Enumeration" -> "i32";
            case "FundamentalType" -> switch (t.getAttribute("name") + "/" + t.getAttribute("size")) {
                case "void/" -> "void";
                case "int/32" -> "i32";
                case "long int/64", "long long int/64" -> "i64";
                case "float/32" -> "f32";
                case "double/64" -> "f64";
                default -> throw new AssertionError("unexpected C type " + t.getAttribute("name"));
            };
            default -> throw new AssertionError("unexpected castxml type " + t.getTagName());
        };
    }

    // ---- the header and tools ------------------------------------------------------------------

    static Path repoRoot() {
        String prop = System.getProperty("xent.test.root");
        if (prop != null && !prop.contains("${") && Files.isRegularFile(Path.of(prop, "native/include/xent.h"))) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("native/include/xent.h"))) return p;
        }
        throw new AssertionError("cannot find native/include/xent.h above " + Path.of("").toAbsolutePath());
    }

    static Path header() {
        return repoRoot().resolve("native/include/xent.h");
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }
}
