package io.switchyard.dataplane.channel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;

import java.io.IOException;

/**
 * Bytes sent straight to a channel's socket with one {@code send}, past its pipeline's write and flush (a promise, an
 * outbound-buffer entry and its accounting, each handler's write and flush, a gathering write): what a tunnel does with
 * each message, and an HTTP exchange with a whole answer or request head. Only ever while nothing waits in the
 * channel's outbound buffer, so bytes never overtake earlier ones; what the socket does not take is left in the buffer
 * for the caller to write through the pipeline, which then waits for the socket under the channel's send limit.
 * Event loop of the channel only. Internal.
 */
public final class DirectSend {
    private DirectSend() {
    }

    /**
     * {@code ch}'s socket, when it is a native (epoll) channel: null for the NIO transport. Whether no handler of the
     * pipeline changes the bytes on their way out (TLS) is the caller's to know.
     */
    public static Socket socketOf(Channel ch) {
        return ch instanceof UnixChannel u && u.fd() instanceof Socket s ? s : null;
    }

    /**
     * Whether a send may go straight to {@code ch}'s socket now: it is open (Netty clears the outbound buffer before
     * it closes the descriptor, on this same loop, so a descriptor number the kernel has since given to another
     * connection is never written) and nothing waits in its outbound buffer, flushed or not.
     */
    public static boolean idle(Channel ch) {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out != null && out.totalPendingWriteBytes() == 0 && out.isEmpty();
    }

    /**
     * Sends {@code buf}'s readable bytes (a buffer with a memory address) to {@code socket} with one call and moves its
     * reader index past what went.
     *
     * @return true when all of it went (the buffer is then released); false when some is left in it, for the
     * pipeline's write (the socket's buffer is full)
     * @throws IOException when the send failed (the peer is gone); the buffer is left as it was
     */
    public static boolean send(Socket socket, ByteBuf buf) throws IOException {
        int r = buf.readerIndex();
        int w = buf.writerIndex();
        int sent = socket.sendAddress(buf.memoryAddress(), r, w);
        if (sent == w - r) {
            buf.release();
            return true;
        }
        buf.readerIndex(r + sent);
        return false;
    }

    /**
     * {@link #send}, for a caller that hands whatever is left to the pipeline's write in every case: a failed send
     * leaves the buffer whole, and that write then fails the same way and closes the channel as any failed write does.
     *
     * @return true when all of it went (the buffer is then released); false when some or all of it is left
     */
    public static boolean sendOrLeave(Socket socket, ByteBuf buf) {
        try {
            return send(socket, buf);
        } catch (IOException e) {
            return false;
        }
    }
}
