package io.switchyard.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/**
 * After each test class: forces garbage collection and allocates buffers (a detector reports what the
 * collector found only when it tracks a new resource), then fails the class if any ByteBuf leaked.
 * Auto-registered for every test class of every module that uses the test kit (META-INF/services +
 * junit.jupiter.extensions.autodetection); in a JVM where Netty never made a ByteBuf it checks nothing.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        if (!LeakDetectionSession.installed())
            throw new IllegalStateException("the recording leak detector was not installed before ByteBuf loaded");
        LeakDetectionSession.drain(); // a previous class's leaks were already reported against it
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (!LeakDetectionSession.tracking()) return; // no ByteBuf was ever made: nothing can have leaked
        List<String> leaks = collect();
        if (!leaks.isEmpty())
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) in " + context.getDisplayName() + ":\n"
                    + String.join("\n", leaks));
    }

    static List<String> collect() throws InterruptedException {
        for (int round = 0; round < 5; round++) {
            System.gc();
            System.runFinalization();
            Thread.sleep(40);
            for (int i = 0; i < 32; i++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                ByteBuf b = PooledByteBufAllocator.DEFAULT.heapBuffer(16);
                ByteBuf c = UnpooledByteBufAllocator.DEFAULT.buffer(16);
                a.release();
                b.release();
                c.release();
            }
        }
        return LeakDetectionSession.drain();
    }
}
