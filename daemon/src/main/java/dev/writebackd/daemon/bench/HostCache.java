package dev.writebackd.daemon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Dropping the host page cache: {@code sync; echo 3 > /proc/sys/vm/drop_caches}, which needs root. */
final class HostCache {
    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

    private HostCache() {}

    /** Tries to drop the host page cache; says whether it happened and, if not, why. */
    static String drop() {
        try {
            Process sync = new ProcessBuilder("sync").inheritIO().start();
            if (!sync.waitFor(120, TimeUnit.SECONDS)) {
                sync.destroy();
                return "host page cache NOT dropped: sync did not finish in 120 s";
            }
            Files.writeString(DROP_CACHES, "3");
            return "host page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches)";
        } catch (IOException e) {
            return "host page cache NOT dropped (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + "; needs root and a writable /proc/sys): reads may be warm";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "host page cache NOT dropped: interrupted";
        }
    }
}
