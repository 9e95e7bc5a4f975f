package io.switchyard.dataplane.tls;

import io.switchyard.pem.PrivateKeys;

import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings a PEM private key to the PKCS#8 form Netty's {@code SslContextBuilder} reads without
 * BouncyCastle (the DER work is {@link PrivateKeys}, shared with the control plane). Snapshots from a
 * control plane already carry PKCS#8; {@code --config} files may hold PKCS#1 or SEC1 keys. Stateless. Internal.
 */
final class PemKeys {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    private PemKeys() {
    }

    /** @throws IllegalArgumentException naming what is wrong with the key */
    static String toPkcs8(String pem) {
        if (pem.contains("-----BEGIN PRIVATE KEY-----")) return pem;
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            String label = m.group(1);
            if (!label.endsWith("PRIVATE KEY")) continue;
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2).strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(label + " is not valid base64");
            }
            byte[] pkcs8 = PrivateKeys.toPkcs8(label, der, null);
            String b64 = Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(pkcs8);
            return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
        }
        throw new IllegalArgumentException("no complete PEM private key block");
    }
}
