package dev.xent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * A text as a sequence of character ids over its own sorted character vocabulary. Lines starting
 * with '#' are comments; runs of whitespace become one space.
 */
final class TextCorpus {
    /** The demo's text, shipped in the jar: chapter I of Alice's Adventures in Wonderland (public domain). */
    static final String BUILT_IN = "corpus/alice-chapter-1.txt";

    private final String name;
    private final String text;
    private final char[] vocabulary;
    private final int[] idOf;
    private final int[] ids;

    private TextCorpus(String name, String text) {
        if (text.length() < 2) throw new UserError(name + ": the text needs at least two characters, it has " + text.length());
        this.name = name;
        this.text = text;
        TreeSet<Character> chars = new TreeSet<>();
        for (int i = 0; i < text.length(); i++) chars.add(text.charAt(i));
        vocabulary = new char[chars.size()];
        int v = 0;
        for (char c : chars) vocabulary[v++] = c;
        idOf = new int[Character.MAX_VALUE + 1];
        Arrays.fill(idOf, -1);
        for (int k = 0; k < vocabulary.length; k++) idOf[vocabulary[k]] = k;
        ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) ids[i] = idOf[text.charAt(i)];
    }

    /** The text shipped with the CLI. */
    static TextCorpus builtIn() {
        try (InputStream in = TextCorpus.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) throw new IllegalStateException("resource " + BUILT_IN + " is missing from the jar");
            return of(BUILT_IN.substring(BUILT_IN.lastIndexOf('/') + 1), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + BUILT_IN, e);
        }
    }

    /** A UTF-8 text file. */
    static TextCorpus fromFile(Path file) {
        try {
            return of(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
    }

    /** A text given as a string (comments and whitespace normalised as for files). */
    static TextCorpus of(String name, String raw) {
        StringBuilder kept = new StringBuilder(raw.length());
        for (String line : raw.split("\n", -1)) {
            if (!line.startsWith("#")) kept.append(line).append('\n');
        }
        return new TextCorpus(name, kept.toString().replaceAll("\\s+", " ").strip());
    }

    String name() {
        return name;
    }

    String text() {
        return text;
    }

    int length() {
        return ids.length;
    }

    int vocabularySize() {
        return vocabulary.length;
    }

    char symbol(int id) {
        return vocabulary[id];
    }

    /** The id of a character, or -1 if the text never uses it. */
    int id(char c) {
        return idOf[c];
    }

    /** The characters of the vocabulary in id order. */
    String vocabulary() {
        return new String(vocabulary);
    }

    /** Consecutive pairs (ids[i], ids[i+1]) for {@code from <= i < to - 1}: a text span as bigrams. */
    Bigrams bigrams(int from, int to) {
        int n = Math.max(0, to - from - 1);
        int[] context = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            context[i] = ids[from + i];
            next[i] = ids[from + i + 1];
        }
        return new Bigrams(context, next);
    }
}
