package io.switchyard.controlplane.api;

import io.javalin.websocket.WsContext;
import io.switchyard.controlplane.fleet.NodeLink;
import org.eclipse.jetty.websocket.api.WriteCallback;

import java.util.function.Consumer;

/**
 * A node's fleet WebSocket (a Javalin/Jetty session) as the hub's {@link NodeLink}. Javalin hands
 * each event its own context; all of one connection's contexts share the session id, which is the
 * link's id. Thread-safe, as Jetty's session is.
 */
final class JavalinNodeLink implements NodeLink {
    private final WsContext ctx;

    JavalinNodeLink(WsContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String id() {
        return ctx.sessionId();
    }

    @Override
    public void send(String text, Consumer<Throwable> done) {
        ctx.session.getRemote().sendString(text, new WriteCallback() {
            @Override
            public void writeSuccess() {
                done.accept(null);
            }

            @Override
            public void writeFailed(Throwable x) {
                done.accept(x);
            }
        });
    }

    @Override
    public void close(int code, String reason) {
        ctx.closeSession(code, reason);
    }
}
