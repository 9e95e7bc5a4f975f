package io.switchyard.testkit;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.util.ArrayList;
import java.util.List;

/**
 * Installs a {@link ResourceLeakDetectorFactory} whose detectors record every leak report, when the
 * JUnit launcher session opens: before any test class (and so before {@code AbstractByteBuf}, whose
 * static detector is created from the factory) is loaded. {@link LeakCheckExtension} fails the class
 * whose tests leaked. Registered through META-INF/services.
 */
public final class LeakDetectionSession implements LauncherSessionListener {
    private static final List<String> LEAKS = new ArrayList<>();
    /** Set once Netty asked for a detector: until then, no tracked resource (a ByteBuf) was ever made. */
    private static volatile boolean tracking;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        install();
    }

    static synchronized void install() {
        if (ResourceLeakDetectorFactory.instance() instanceof RecordingFactory) return;
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    static boolean installed() {
        return ResourceLeakDetectorFactory.instance() instanceof RecordingFactory;
    }

    /** Whether any Netty resource that can leak was made in this JVM (a test module without Netty makes none). */
    static boolean tracking() {
        return tracking;
    }

    /** Leak reports recorded since the last call; clears them. */
    static List<String> drain() {
        synchronized (LEAKS) {
            List<String> out = new ArrayList<>(LEAKS);
            LEAKS.clear();
            return out;
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            tracking = true;
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<?> resourceType, int samplingInterval) {
            super(resourceType, samplingInterval);
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            synchronized (LEAKS) {
                LEAKS.add("LEAK " + resourceType + records);
            }
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            synchronized (LEAKS) {
                LEAKS.add("LEAK " + resourceType + " (untraced)");
            }
            super.reportUntracedLeak(resourceType);
        }
    }
}
