package io.switchyard.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary directories the test kit makes for itself (keytool's key stores, the PostgreSQL cluster). */
final class TempDirs {
    private TempDirs() {
    }

    /**
     * Deletes {@code root} and everything below it, as far as it can: a file still being written by a dying
     * process may stay, and the OS cleans the temporary directory later.
     */
    static void delete(Path root) {
        if (!Files.exists(root)) return;
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // left for the OS, as said above
                }
            });
        } catch (IOException ignored) {
            // best effort, as above
        }
    }
}
