package io.switchyard.dataplane.channel;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * Native epoll when this platform has it, NIO otherwise: the event loops and the channels of the one transport.
 * Internal.
 */
public record Transport(String name) {

    public static Transport detect() {
        return new Transport(Epoll.isAvailable() ? "epoll" : "nio");
    }

    /**
     * A listening channel of {@code bind}'s address family: an IPv4 address gets an IPv4 socket (no dual-stack
     * socket whose every accepted peer is a v4-mapped IPv6 address), an IPv6 one (such as {@code ::}) a dual-stack one.
     */
    public ServerSocketChannel newServerChannel(InetSocketAddress bind) {
        return epoll() ? new EpollServerSocketChannel(family(bind)) : new NioServerSocketChannel();
    }

    /** A client channel of {@code target}'s address family (an IPv4 target: no IPV6_V6ONLY call, smaller addresses). */
    public SocketChannel newSocketChannel(InetSocketAddress target) {
        return epoll() ? new EpollSocketChannel(family(target)) : new NioSocketChannel();
    }

    private boolean epoll() {
        return "epoll".equals(name);
    }

    @SuppressWarnings("deprecation") // the epoll channels' constructors take this type in Netty 4.1
    private static InternetProtocolFamily family(InetSocketAddress a) {
        return a.getAddress() instanceof Inet4Address ? InternetProtocolFamily.IPv4 : InternetProtocolFamily.IPv6;
    }

    public EventLoopGroup newGroup(int threads, String name) {
        DefaultThreadFactory tf = new DefaultThreadFactory(name, true);
        return "epoll".equals(this.name) ? new EpollEventLoopGroup(threads, tf) : new NioEventLoopGroup(threads, tf);
    }
}
