package dev.writebackd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Keeps the split of DESIGN.md: the algorithms never depend on actors and never block. */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java/dev/writebackd");
    private static final List<String> ALGORITHM_PACKAGES = List.of("page", "block", "layout", "mpage", "error");
    private static final Pattern ACTOR_TYPES = Pattern.compile("^import\\s+(static\\s+)?org\\.apache\\.pekko\\.", Pattern.MULTILINE);
    private static final Pattern BLOCKING = Pattern.compile("Thread\\.sleep|new Thread\\(|\\.join\\(\\)|ExecutorService|CompletableFuture\\.get|\\.await\\(");

    @Test
    void algorithmPackagesUseNoActorTypes() {
        assertThat(sources()).isNotEmpty().allSatisfy(file ->
                assertThat(ACTOR_TYPES.matcher(read(file)).find()).as("%s imports Pekko", file).isFalse());
    }

    @Test
    void algorithmsNeitherStartThreadsNorWait() {
        List<Path> algorithms = sources().stream().filter(p -> p.startsWith(MAIN.resolve("mpage"))
                || p.startsWith(MAIN.resolve("page")) || p.startsWith(MAIN.resolve("layout"))).toList();
        assertThat(algorithms).isNotEmpty().allSatisfy(file ->
                assertThat(BLOCKING.matcher(read(file)).find()).as("%s blocks or starts threads", file).isFalse());
    }

    private static List<Path> sources() {
        return ALGORITHM_PACKAGES.stream().map(MAIN::resolve).filter(Files::isDirectory).flatMap(dir -> {
            try (Stream<Path> files = Files.walk(dir)) {
                return files.filter(p -> p.toString().endsWith(".java")).toList().stream();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
