package io.switchyard.dataplane.upstream;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.switchyard.dataplane.channel.PipelineNames;

/**
 * Decodes a target's responses, told by the exchange which request each answers ({@link #expectResponseTo}), so a
 * {@code HEAD} answer is known to have no body whatever its {@code Content-Length} says. It also tells how many
 * bytes it holds that belong to no response yet ({@link #buffered()}): an upstream that sent anything past the end of
 * a response (a body on {@code HEAD}, bytes past {@code Content-Length}) leaves them here, and such a connection is
 * closed instead of pooled. Event-loop confined. Internal.
 */
public final class UpstreamResponseDecoder extends HttpResponseDecoder {
    private boolean headRequest;

    public UpstreamResponseDecoder() {
        super(new HttpDecoderConfig().setMaxInitialLineLength(8192).setMaxHeaderSize(65536).setMaxChunkSize(8192));
    }

    /** The decoder of {@code ch}'s pipeline, or null once removed (a tunnel). */
    public static UpstreamResponseDecoder of(Channel ch) {
        return (UpstreamResponseDecoder) ch.pipeline().get(PipelineNames.UPSTREAM_CODEC);
    }

    /** The next response answers a request with this method (HEAD answers carry no body). */
    public void expectResponseTo(boolean head) {
        this.headRequest = head;
    }

    /** Bytes received and not yet part of any decoded message. */
    public int buffered() {
        return actualReadableBytes();
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        // A 1xx before the final answer says nothing about the final answer's body; the base class knows 1xx/204/304.
        if (headRequest && msg instanceof io.netty.handler.codec.http.HttpResponse r && r.status().code() >= 200) return true;
        return super.isContentAlwaysEmpty(msg);
    }
}
