package io.switchyard.dataplane.tunnel;

import io.netty.buffer.ByteBuf;

/**
 * Follows WebSocket frame boundaries (RFC 6455 section 5.2) in one direction of a tunnel by reading
 * frame headers only: payload bytes are skipped by count, never read or copied. The relay uses it to
 * find the exact byte offset where a frame ends, so the proxy can put a control frame of its own
 * (a close 1001 on drain) between two frames without corrupting either. Not thread-safe: each
 * direction of a tunnel has its own tracker, used on the tunnel's event loop. Internal.
 */
public final class FrameTracker {
    private int headerPos;        // bytes of the current header seen; 0 = between frames or in payload
    private int headerLength = 2; // known after the second byte
    private long payloadLength;
    private long payloadRemaining;
    private int opcode;
    private boolean closeSeen;
    private long frames;
    private final byte[] mask = new byte[4];
    private int codeBytesWanted;     // 2 while reading the status code of the first close frame, then 0
    private int codeRead;
    private int closeCode = -1;

    /** True when the bytes seen so far end exactly at a frame boundary. */
    public boolean atBoundary() {
        return headerPos == 0 && payloadRemaining == 0;
    }

    /** Whether a close frame (opcode 8) has passed in this direction. */
    public boolean closeSeen() {
        return closeSeen;
    }

    /** The status code of the first close frame in this direction (RFC 6455 7.4); -1 when none or it had no code. */
    public int closeCode() {
        return closeCode;
    }

    /** Complete frame headers seen. */
    public long frames() {
        return frames;
    }

    /** Advances over all readable bytes of {@code buf} (reader index unchanged). */
    public void advance(ByteBuf buf) {
        int from = buf.readerIndex();
        int to = buf.writerIndex();
        while (from < to) {
            int b = advanceToBoundary(buf, from, to);
            if (b < 0) return;
            from = b;
        }
    }

    /**
     * Advances over {@code buf[from, to)} until the first frame boundary after {@code from}.
     *
     * @return the absolute index just past the frame that ended, or -1 when no frame ends in the range
     * (every byte of the range was consumed)
     */
    public int advanceToBoundary(ByteBuf buf, int from, int to) {
        int i = from;
        while (i < to) {
            if (payloadRemaining > 0 && codeBytesWanted > 0) {
                // The first two payload bytes of the first close frame: its status code (unmasked here).
                int b = (buf.getByte(i) ^ mask[codeRead & 3]) & 0xff;
                closeCode = codeRead == 0 ? b << 8 : closeCode | b;
                codeRead++;
                codeBytesWanted--;
                payloadRemaining--;
                i++;
                if (payloadRemaining == 0) return i;
                continue;
            }
            if (payloadRemaining > 0) {
                long n = Math.min(payloadRemaining, to - i);
                payloadRemaining -= n;
                i += (int) n;
                if (payloadRemaining == 0) return i;
                continue;
            }
            int b = buf.getByte(i++) & 0xff;
            switch (headerPos) {
                case 0 -> {
                    opcode = b & 0x0f;
                    headerLength = 2;
                    payloadLength = 0;
                }
                case 1 -> {
                    int len7 = b & 0x7f;
                    headerLength = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b & 0x80) != 0 ? 4 : 0);
                    payloadLength = len7 < 126 ? len7 : 0;
                }
                default -> {
                    int extBytes = headerLength - 2 - (maskedHeader() ? 4 : 0);
                    if (headerPos - 2 < extBytes) payloadLength = (payloadLength << 8) | b;
                    else mask[headerPos - 2 - extBytes] = (byte) b;
                }
            }
            headerPos++;
            if (headerPos >= 2 && headerPos == headerLength) {
                headerPos = 0;
                frames++;
                if (opcode == 8 && !closeSeen) {
                    closeSeen = true;
                    if (!maskedHeader()) java.util.Arrays.fill(mask, (byte) 0);
                    if (payloadLength >= 2) {
                        codeBytesWanted = 2;
                        codeRead = 0;
                    }
                }
                payloadRemaining = payloadLength;
                if (payloadRemaining == 0) return i;
            }
        }
        return -1;
    }

    private boolean maskedHeader() {
        // headerLength = 2 + ext + (4 if masked); ext is 0, 2 or 8, so the mask is present iff the rest is 4, 6 or 12.
        int rest = headerLength - 2;
        return rest == 4 || rest == 6 || rest == 12;
    }
}
