package dev.xent.bench;

/** A benchmark shape "NxC": N rows of C classes. */
public record Shape(int n, int c) {

    /** The shapes of issue 5: a language-model batch, a huge vocabulary, many small rows, a few huge rows. */
    public static final String[] ALL = {"4096x32768", "1024x131072", "65536x1024", "16x262144"};

    public static Shape parse(String s) {
        int x = s.indexOf('x');
        if (x < 0) throw new IllegalArgumentException("shape must be NxC, got " + s);
        return new Shape(Integer.parseInt(s.substring(0, x).trim()), Integer.parseInt(s.substring(x + 1).trim()));
    }

    public long elements() {
        return (long) n * c;
    }

    @Override
    public String toString() {
        return n + "x" + c;
    }
}
