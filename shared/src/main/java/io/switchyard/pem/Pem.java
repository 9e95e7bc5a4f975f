package io.switchyard.pem;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits PEM text into its labelled, base64-decoded blocks: the one PEM reader of both planes (certificates sent to
 * the API, the admin listener's own files, keys a data plane loads). Stateless.
 */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    /** One block: its label ({@code CERTIFICATE}, {@code PRIVATE KEY}, ...) and its DER bytes. */
    public record Block(String label, byte[] der) {
    }

    private Pem() {
    }

    /** Every block in order; {@code field} names the input in the exception message. */
    public static List<Block> blocks(String text, String field) {
        List<Block> out = new ArrayList<>();
        if (text == null) return out;
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            // Encrypted PEM (RFC 1421 headers such as "Proc-Type:") cannot be read without a passphrase.
            if (body.contains(":")) throw new BadPem(field, m.group(1) + " block has headers (expected: an unencrypted PEM block)");
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body.trim())));
            } catch (IllegalArgumentException e) {
                throw new BadPem(field, m.group(1) + " block is not valid base64");
            }
        }
        return out;
    }

    /** A PEM problem tied to the input field it came from. */
    public static final class BadPem extends RuntimeException {
        private final String field;

        BadPem(String field, String message) {
            super(message, null, false, false);
            this.field = field;
        }

        /** The input field the bad block came from. */
        public String field() {
            return field;
        }
    }
}
