package io.switchyard.config;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * The {@code trusted_proxies} strings as the operator wrote them, together with their parsed
 * {@link Cidr}s: a list of strings to the codec and to {@code equals}, so the document round-trips
 * unchanged, while {@link Config#trustedProxyCidrs()} needs no parse per request. Immutable.
 */
final class TrustedProxies extends AbstractList<String> implements RandomAccess {
    static final TrustedProxies NONE = new TrustedProxies(List.of(), List.of());

    private final List<String> written;
    private final List<Cidr> cidrs;

    TrustedProxies(List<String> written, List<Cidr> cidrs) {
        this.written = List.copyOf(written);
        this.cidrs = List.copyOf(cidrs);
    }

    List<Cidr> cidrs() {
        return cidrs;
    }

    @Override
    public String get(int index) {
        return written.get(index);
    }

    @Override
    public int size() {
        return written.size();
    }
}
