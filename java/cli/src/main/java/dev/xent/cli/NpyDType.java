package dev.xent.cli;

import java.lang.foreign.ValueLayout;

/** The element types the .npy reader and writer understand, by their numpy type codes. */
public enum NpyDType {
    FLOAT64("f8", "float64", ValueLayout.JAVA_DOUBLE),
    FLOAT32("f4", "float32", ValueLayout.JAVA_FLOAT),
    FLOAT16("f2", "float16", ValueLayout.JAVA_SHORT),
    INT64("i8", "int64", ValueLayout.JAVA_LONG),
    INT32("i4", "int32", ValueLayout.JAVA_INT),
    UINT16("u2", "uint16", ValueLayout.JAVA_SHORT),
    INT8("i1", "int8", ValueLayout.JAVA_BYTE),
    UINT8("u1", "uint8", ValueLayout.JAVA_BYTE),
    BOOL("b1", "bool", ValueLayout.JAVA_BYTE);

    private final String code;
    private final String numpyName;
    private final ValueLayout layout;

    NpyDType(String code, String numpyName, ValueLayout layout) {
        this.code = code;
        this.numpyName = numpyName;
        this.layout = layout;
    }

    /** The type code without byte order, e.g. "f4". */
    public String code() {
        return code;
    }

    /** numpy's name, e.g. "float32", used in messages. */
    public String numpyName() {
        return numpyName;
    }

    public int byteSize() {
        return (int) layout.byteSize();
    }

    /** Element layout in native byte order, as arrays hold them in memory. */
    ValueLayout layout() {
        return layout;
    }

    /** The descr this writer emits: little endian, or '|' for one-byte types. */
    public String descr() {
        return (byteSize() == 1 ? "|" : "<") + code;
    }

    public boolean isFloat() {
        return this == FLOAT64 || this == FLOAT32 || this == FLOAT16;
    }

    public boolean isInteger() {
        return !isFloat();
    }

    /** The type with that code (no byte order), or null. */
    static NpyDType ofCode(String code) {
        for (NpyDType t : values()) {
            if (t.code.equals(code)) return t;
        }
        return null;
    }
}
