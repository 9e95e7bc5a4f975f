package io.switchyard.testkit;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Stops the shared test PostgreSQL server when the JUnit session closes. Registered through META-INF/services. */
public final class PostgresSession implements LauncherSessionListener {
    @Override
    public void launcherSessionClosed(LauncherSession session) {
        PostgresServer.stopShared();
    }
}
