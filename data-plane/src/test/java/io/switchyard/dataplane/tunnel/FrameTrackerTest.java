package io.switchyard.dataplane.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FrameTrackerTest {

    /** Frames of every header shape: 7-bit, 16-bit and 64-bit lengths, masked and not, a close. */
    private static byte[] frames(List<Integer> boundaries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[][] shapes = {{5, 0}, {0, 1}, {300, 1}, {125, 0}, {70_000, 1}, {126, 0}, {2, 1}};
        for (int[] s : shapes) {
            int len = s[0];
            boolean masked = s[1] == 1;
            out.write(len == 2 ? 0x88 : 0x82);
            int maskBit = masked ? 0x80 : 0;
            if (len < 126) {
                out.write(maskBit | len);
            } else if (len < 65536) {
                out.write(maskBit | 126);
                out.write(len >> 8);
                out.write(len);
            } else {
                out.write(maskBit | 127);
                for (int i = 7; i >= 0; i--) out.write((int) ((long) len >> (8 * i)));
            }
            if (masked) out.writeBytes(new byte[]{1, 2, 3, 4});
            out.writeBytes(new byte[len]);
            boundaries.add(out.size());
        }
        return out.toByteArray();
    }

    @Test
    void findsEveryFrameBoundaryWhateverTheBytesAreSplitInto() {
        List<Integer> expected = new ArrayList<>();
        byte[] all = frames(expected);
        for (int chunk : new int[]{1, 2, 3, 7, 100, 4096, all.length}) {
            FrameTracker t = new FrameTracker();
            List<Integer> found = new ArrayList<>();
            for (int off = 0; off < all.length; off += chunk) {
                int n = Math.min(chunk, all.length - off);
                ByteBuf buf = Unpooled.wrappedBuffer(all, off, n);
                int from = buf.readerIndex();
                int b;
                while ((b = t.advanceToBoundary(buf, from, buf.writerIndex())) >= 0) {
                    found.add(off + b - buf.readerIndex());
                    from = b;
                }
                buf.release();
            }
            assertThat(found).as("chunk size " + chunk).isEqualTo(expected);
            assertThat(t.atBoundary()).isTrue();
            assertThat(t.frames()).isEqualTo(expected.size());
            assertThat(t.closeSeen()).isTrue();
        }
    }

    @Test
    void isNotAtABoundaryInsideAHeaderOrAPayload() {
        FrameTracker t = new FrameTracker();
        ByteBuf b = Unpooled.wrappedBuffer(new byte[]{(byte) 0x81, 0x03, 'a', 'b', 'c'});
        assertThat(t.atBoundary()).isTrue();
        t.advance(b.slice(0, 1));
        assertThat(t.atBoundary()).isFalse();
        t.advance(b.slice(1, 2));
        assertThat(t.atBoundary()).isFalse();
        t.advance(b.slice(3, 2));
        assertThat(t.atBoundary()).isTrue();
        assertThat(t.closeSeen()).isFalse();
        b.release();
    }
}
