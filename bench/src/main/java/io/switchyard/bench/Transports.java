package io.switchyard.bench;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Picks the native epoll transport when it loads and NIO otherwise. The bench tools use epoll
 * because the load generator and the echo upstream share one core: every syscall they save is
 * capacity left for measuring the proxy rather than ourselves.
 */
final class Transports {
    private Transports() {
    }

    static boolean epoll() {
        return Epoll.isAvailable() && !Boolean.getBoolean("bench.nio");
    }

    static EventLoopGroup group(int threads, String name) {
        DefaultThreadFactory tf = new DefaultThreadFactory(name, true);
        return epoll() ? new EpollEventLoopGroup(threads, tf) : new NioEventLoopGroup(threads, tf);
    }

    static Class<? extends SocketChannel> socket() {
        return epoll() ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    static Class<? extends ServerSocketChannel> server() {
        return epoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }
}
