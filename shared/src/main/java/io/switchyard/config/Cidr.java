package io.switchyard.config;

import io.switchyard.host.HostNames;

import java.util.Arrays;

/**
 * An IP network such as {@code 10.0.0.0/8} or {@code fd00::/8}: who {@code trusted_proxies} believes.
 * Parsed from literals only, never through DNS, so a document cannot make the control plane or a node
 * resolve names. A network address with host bits set ({@code 10.0.0.1/8}) is refused with the
 * network address that was probably meant, rather than silently masked: an operator who wrote it may
 * have meant {@code /32}. Immutable and thread-safe.
 */
public final class Cidr {
    private final byte[] network;
    private final int prefixLength;

    private Cidr(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * @param s an IPv4 or IPv6 literal, optionally followed by {@code /prefix-length} (0-32 or 0-128);
     *          without it, the single address ({@code /32} or {@code /128})
     * @throws IllegalArgumentException with a one-line message naming the value and what was expected
     */
    public static Cidr parse(String s) {
        if (s == null) throw new IllegalArgumentException("null (expected: a CIDR such as 10.0.0.0/8 or fd00::/8)");
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = addr.startsWith("[") ? null : HostNames.parseIpLiteral(addr);
        if (bytes == null)
            throw new IllegalArgumentException(quote(s) + " (expected: an IPv4 or IPv6 address, optionally /prefix length, such as 10.0.0.0/8 or fd00::/8)");
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            prefix = prefixLength(s, slash + 1, max);
            if (prefix < 0) throw new IllegalArgumentException(quote(s) + " (expected: a prefix length 0.." + max + " after '/')");
        }
        byte[] masked = mask(bytes, prefix);
        if (!Arrays.equals(masked, bytes)) {
            throw new IllegalArgumentException(quote(s) + " (expected: " + format(masked) + "/" + prefix
                    + ", the network address, or " + format(bytes) + "/" + max + " for the single address)");
        }
        return new Cidr(masked, prefix);
    }

    private static int prefixLength(String s, int from, int max) {
        int n = s.length() - from;
        if (n < 1 || n > 3 || (n > 1 && s.charAt(from) == '0')) return -1;
        int v = 0;
        for (int i = from; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < '0' || ch > '9') return -1;
            v = v * 10 + (ch - '0');
        }
        return v <= max ? v : -1;
    }

    private static byte[] mask(byte[] a, int prefix) {
        byte[] m = a.clone();
        for (int i = 0; i < m.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            m[i] &= (byte) (0xff00 >>> bits);
        }
        return m;
    }

    /** Whether this network is IPv4 (4-byte addresses). */
    public boolean isIpv4() {
        return network.length == 4;
    }

    /** The network address (a copy): 4 or 16 bytes, host bits zero. */
    public byte[] network() {
        return network.clone();
    }

    public int prefixLength() {
        return prefixLength;
    }

    /**
     * Whether {@code address} lies in this network. Dual-stack sockets report IPv4 peers as IPv4-mapped
     * IPv6 ({@code ::ffff:a.b.c.d}), so such an address matches IPv4 networks, and a 4-byte address is
     * compared with IPv6 networks in its mapped form.
     *
     * @param address 4 or 16 bytes, as {@link java.net.InetAddress#getAddress()} returns them
     * @throws IllegalArgumentException for null or another length
     */
    public boolean contains(byte[] address) {
        if (address == null || (address.length != 4 && address.length != 16))
            throw new IllegalArgumentException("address: " + (address == null ? "null" : address.length + " bytes") + " (expected: 4 or 16 bytes)");
        byte[] a = address;
        if (network.length == 4 && a.length == 16) {
            if (!isMapped(a)) return false;
            a = Arrays.copyOfRange(a, 12, 16);
        } else if (network.length == 16 && a.length == 4) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(a, 0, mapped, 12, 4);
            a = mapped;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) if (a[i] != network[i]) return false;
        int rest = prefixLength % 8;
        if (rest == 0) return true;
        return ((a[full] ^ network[full]) & (0xff00 >>> rest) & 0xff) == 0;
    }

    /** {@link #contains(byte[])} for an IP literal such as an {@code X-Forwarded-For} entry; false when it is not one. */
    public boolean contains(String address) {
        byte[] a = HostNames.parseIpLiteral(address);
        return a != null && contains(a);
    }

    private static boolean isMapped(byte[] a) {
        for (int i = 0; i < 10; i++) if (a[i] != 0) return false;
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    /** Canonical: {@code 10.0.0.0/8}, {@code 192.168.1.7/32}, IPv6 as RFC 5952 ({@code fd00::/8}, {@code ::ffff:10.0.0.0/104}). */
    @Override
    public String toString() {
        return format(network) + "/" + prefixLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    /** RFC 5952 text of 4 or 16 address bytes. */
    static String format(byte[] a) {
        if (a.length == 4) return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
        if (isMapped(a)) return "::ffff:" + format(Arrays.copyOfRange(a, 12, 16));
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        int bestStart = -1;
        int bestLen = 1; // a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
