package io.switchyard.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test started, closed in reverse order when the test ends: {@code @AfterEach void stop() { closer.close(); }}.
 * A failure to close one does not keep the rest open. Not thread-safe: tests track from their own thread.
 */
public final class Closer implements AutoCloseable {
    private final List<AutoCloseable> tracked = new ArrayList<>();

    /** Tracks {@code c} and returns it. */
    public <T extends AutoCloseable> T track(T c) {
        tracked.add(c);
        return c;
    }

    /** Stops tracking {@code c} (a test that closed it itself, or handed it over). */
    public void forget(AutoCloseable c) {
        tracked.remove(c);
    }

    /** Closes everything tracked, last first, and forgets it. */
    @Override
    public void close() {
        for (int i = tracked.size() - 1; i >= 0; i--) {
            try {
                tracked.get(i).close();
            } catch (Exception ignored) {
                // keep closing the rest
            }
        }
        tracked.clear();
    }
}
