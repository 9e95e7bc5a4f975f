package io.switchyard.dataplane.http;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code X-Request-Id}: a client's own is kept when it is sane (1 to 128 characters of letters, digits and
 * {@code - _ . :}), so a request can be followed across hops; otherwise one is made here (128 random bits, hex). It goes
 * upstream, back to the client and into the access log. Stateless.
 */
final class RequestIds {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private RequestIds() {
    }

    static String of(String fromClient) {
        if (fromClient != null && sane(fromClient)) return fromClient;
        ThreadLocalRandom r = ThreadLocalRandom.current();
        byte[] out = new byte[32]; // bytes, not chars: half the scratch for the one copy the String makes
        long a = r.nextLong();
        long b = r.nextLong();
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xf];
            out[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xf];
        }
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    static boolean sane(String s) {
        int n = s.length();
        if (n == 0 || n > 128) return false;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == ':';
            if (!ok) return false;
        }
        return true;
    }
}
