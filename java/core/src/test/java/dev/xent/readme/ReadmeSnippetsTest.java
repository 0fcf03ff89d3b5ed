package dev.xent.readme;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README's code true: each snippet there is the body of a compiled test source between
 * {@code // readme:begin NAME} and {@code // readme:end} lines (in any module), de-indented, and
 * must appear verbatim in README.md. The module that holds a snippet compiles and runs it; this
 * test finds every one in the repository and checks the README still shows it.
 */
class ReadmeSnippetsTest {
    private static final String BEGIN = "// readme:begin ";
    private static final String END = "// readme:end";

    @Test
    void everySnippetIsInTheReadmeVerbatim() throws IOException {
        String root = System.getProperty("xent.test.root");
        assumeTrue(root != null, "needs -Dxent.test.root (the repository), set by java/core/pom.xml");
        Path repo = Path.of(root);
        String readme = Files.readString(repo.resolve("README.md"));
        Map<String, String> snippets = snippets(repo);
        assertFalse(snippets.isEmpty(), "no readme snippets found under " + repo);
        for (Map.Entry<String, String> s : snippets.entrySet()) {
            assertTrue(readme.contains("```java\n" + s.getValue() + "```\n"),
                    "README.md does not show snippet " + s.getKey() + " as compiled:\n" + s.getValue());
        }
    }

    /** Name -> de-indented text (each line ending in a newline) of every snippet in the test sources. */
    static Map<String, String> snippets(Path repo) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        List<Path> sources;
        try (Stream<Path> walk = Files.walk(repo.resolve("java"))) {
            sources = walk.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/test/java/")).sorted().toList();
        }
        for (Path source : sources) {
            List<String> lines = Files.readAllLines(source);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (!line.startsWith(BEGIN)) continue;
                String name = line.substring(BEGIN.length()).strip();
                List<String> body = new ArrayList<>();
                int j = i + 1;
                while (j < lines.size() && !lines.get(j).strip().equals(END)) body.add(lines.get(j++));
                assertTrue(j < lines.size(), source + ": snippet " + name + " has no " + END);
                assertTrue(out.put(name, dedent(body)) == null, "two snippets named " + name);
                i = j;
            }
        }
        return out;
    }

    private static String dedent(List<String> body) {
        int indent = body.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String l : body) sb.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        return sb.toString();
    }
}
