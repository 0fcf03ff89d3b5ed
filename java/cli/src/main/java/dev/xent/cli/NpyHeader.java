package dev.xent.cli;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dictionary at the head of a .npy file, e.g. {@code {'descr': '<f4', 'fortran_order': False,
 * 'shape': (2, 3), }}, parsed strictly: exactly those three keys, a simple dtype, C order.
 * Only the Python literal subset numpy writes is accepted (strings, True/False, int tuples).
 */
record NpyHeader(NpyDType dtype, ByteOrder order, long[] shape) {

    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");

    /** Parses the header text; messages start with {@code file + ": "}. */
    static NpyHeader parse(String text, String file) throws NpyFormatException {
        Object parsed;
        try {
            Parser p = new Parser(text);
            parsed = p.value();
            p.skipSpace();
            if (!p.atEnd()) throw p.error("unexpected text after the dictionary");
        } catch (IllegalArgumentException e) {
            throw new NpyFormatException(file + ": malformed header: " + e.getMessage() + " in " + quote(text));
        }
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw new NpyFormatException(file + ": malformed header: not a dictionary: " + quote(text));
        }
        if (!dict.keySet().equals(KEYS)) {
            throw new NpyFormatException(file + ": malformed header: keys must be exactly 'descr', 'fortran_order', 'shape', got "
                    + dict.keySet());
        }
        Object descr = dict.get("descr");
        if (!(descr instanceof String d)) {
            throw new NpyFormatException(file + ": structured dtypes are not supported (descr " + descr + ")");
        }
        Object fortran = dict.get("fortran_order");
        if (!(fortran instanceof Boolean f)) {
            throw new NpyFormatException(file + ": malformed header: fortran_order must be True or False, got " + fortran);
        }
        if (f) {
            throw new NpyFormatException(file + ": fortran_order is True (column-major data); only C order is supported: "
                    + "save np.ascontiguousarray(a)");
        }
        Object shapeValue = dict.get("shape");
        if (!(shapeValue instanceof List<?> dims) || shapeValue instanceof PyList) {
            throw new NpyFormatException(file + ": malformed header: shape must be a tuple of integers, got " + shapeValue);
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long dim) || dim < 0) {
                throw new NpyFormatException(file + ": malformed header: bad dimension " + dims.get(i) + " in shape");
            }
            shape[i] = dim;
        }
        return new NpyHeader(dtypeOf(d, file), orderOf(d, file), shape);
    }

    private static NpyDType dtypeOf(String descr, String file) throws NpyFormatException {
        NpyDType t = descr.length() >= 2 ? NpyDType.ofCode(descr.substring(1)) : null;
        if (t == null) {
            throw new NpyFormatException(file + ": unsupported dtype '" + descr + "'; supported: float32 (<f4), float16 (<f2), "
                    + "float64 (<f8), int64 (<i8), int32 (<i4), uint16 (<u2), int8 (|i1), uint8 (|u1)");
        }
        return t;
    }

    private static ByteOrder orderOf(String descr, String file) throws NpyFormatException {
        char c = descr.charAt(0);
        NpyDType t = NpyDType.ofCode(descr.substring(1));
        return switch (c) {
            case '<' -> ByteOrder.LITTLE_ENDIAN;
            case '>' -> ByteOrder.BIG_ENDIAN;
            case '|' -> {
                if (t.byteSize() != 1) {
                    throw new NpyFormatException(file + ": dtype '" + descr + "': byte order '|' (not applicable) is only for "
                            + "one-byte types; " + t.numpyName() + " needs '<' or '>'");
                }
                yield ByteOrder.LITTLE_ENDIAN;
            }
            default -> throw new NpyFormatException(file + ": dtype '" + descr + "': byte order must be '<', '>' or '|'");
        };
    }

    /** The header text this writer emits, without padding. */
    static String format(NpyDType dtype, long[] shape) {
        return "{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': " + NpyArray.shapeString(shape) + ", }";
    }

    /** The header for a message: at most 200 characters, anything but printable ASCII escaped, so it stays one line. */
    private static String quote(String text) {
        String t = text.strip();
        StringBuilder out = new StringBuilder();
        t.substring(0, Math.min(t.length(), 200)).codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7f) out.appendCodePoint(c);
            else if (c == '\n') out.append("\\n");
            else out.append(c <= 0xff ? String.format("\\x%02x", c) : String.format("\\u%04x", c));
        });
        return t.length() > 200 ? out + "..." : out.toString();
    }

    /** Recursive descent over the literal subset: dict, tuple, list, string, int, True, False, None. */
    private static final class Parser {
        /** Deeper than any .npy header nests (a dict holding a tuple); a bound keeps the recursion off the stack's end. */
        private static final int MAX_DEPTH = 16;

        private final String s;
        private int pos;
        private int depth;

        Parser(String s) {
            this.s = s;
        }

        boolean atEnd() {
            return pos >= s.length();
        }

        void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at character " + pos);
        }

        Object value() {
            skipSpace();
            if (atEnd()) throw error("unexpected end");
            char c = s.charAt(pos);
            if (c == '{' || c == '(' || c == '[') {
                if (++depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH + " levels");
                Object nested = c == '{' ? dict() : c == '(' ? sequence('(', ')') : sequence('[', ']');
                depth--;
                return nested;
            }
            if (c == '\'' || c == '"') return string();
            if (c == '-' || Character.isDigit(c)) return integer();
            if (Character.isLetter(c)) return word();
            throw error("unexpected '" + c + "'");
        }

        private Map<String, Object> dict() {
            Map<String, Object> out = new LinkedHashMap<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek('}')) {
                    pos++;
                    return out;
                }
                Object key = value();
                if (!(key instanceof String k)) throw error("dictionary keys must be strings");
                skipSpace();
                expect(':');
                if (out.put(k, value()) != null) throw error("duplicate key '" + k + "'");
                skipSpace();
                if (peek(',')) pos++;
                else if (!peek('}')) throw error("expected ',' or '}'");
            }
        }

        private List<Object> sequence(char open, char close) {
            List<Object> out = new ArrayList<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek(close)) {
                    pos++;
                    return open == '[' ? new PyList(out) : out;
                }
                out.add(value());
                skipSpace();
                if (peek(',')) pos++;
                else if (!peek(close)) throw error("expected ',' or '" + close + "'");
            }
        }

        private String string() {
            char quote = s.charAt(pos++);
            StringBuilder b = new StringBuilder();
            while (pos < s.length() && s.charAt(pos) != quote) {
                char c = s.charAt(pos++);
                if (c == '\\') throw error("escape sequences are not supported");
                b.append(c);
            }
            if (atEnd()) throw error("unterminated string");
            pos++;
            return b.toString();
        }

        private Long integer() {
            int start = pos;
            if (peek('-')) pos++;
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
            String digits = s.substring(start, pos);
            if (peek('L')) pos++; // Python 2 long literal, as old numpy wrote shapes
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("bad integer '" + digits + "'");
            }
        }

        private Object word() {
            int start = pos;
            while (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) pos++;
            String w = s.substring(start, pos);
            return switch (w) {
                case "True" -> Boolean.TRUE;
                case "False" -> Boolean.FALSE;
                case "None" -> "None";
                default -> throw error("unexpected name '" + w + "'");
            };
        }

        private boolean peek(char c) {
            return pos < s.length() && s.charAt(pos) == c;
        }

        private void expect(char c) {
            if (!peek(c)) throw error("expected '" + c + "'");
            pos++;
        }
    }

    /** A Python list, told apart from a tuple: a structured dtype's descr is one (rejected), a shape never is. */
    private static final class PyList extends ArrayList<Object> {
        private static final long serialVersionUID = 1L;

        PyList(List<Object> items) {
            super(items);
        }
    }
}
