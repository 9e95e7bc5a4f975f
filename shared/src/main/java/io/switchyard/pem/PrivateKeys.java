package io.switchyard.pem;

/**
 * Brings a private key to PKCS#8 (what the JDK's {@code KeyFactory} and Netty's {@code SslContextBuilder}
 * read without BouncyCastle): {@code PRIVATE KEY} passes unchanged; PKCS#1 {@code RSA PRIVATE KEY} and SEC1
 * {@code EC PRIVATE KEY} are wrapped in a PrivateKeyInfo, which needs only a few DER headers around the
 * original bytes. Used by the control plane (which then checks the key against its certificate) and the
 * data plane (which loads it). Stateless.
 */
public final class PrivateKeys {
    private PrivateKeys() {
    }

    /**
     * @param label          the PEM label, e.g. {@code RSA PRIVATE KEY}
     * @param der            the block's bytes
     * @param fallbackCurve  the curve OID TLV to use when a SEC1 key leaves its curve out (e.g. the
     *                       certificate's, {@link Der#spkiCurveOid}); null when there is none
     * @throws IllegalArgumentException naming what is wrong (encrypted, unknown type, EC key without curve, bad DER)
     */
    public static byte[] toPkcs8(String label, byte[] der, byte[] fallbackCurve) {
        return switch (label) {
            case "PRIVATE KEY" -> der;
            case "RSA PRIVATE KEY" -> Der.pkcs8(Der.rsaAlgorithm(), der);
            case "EC PRIVATE KEY" -> {
                byte[] curve = Der.sec1CurveOid(der);
                if (curve == null) curve = fallbackCurve;
                if (curve == null) throw new IllegalArgumentException("EC PRIVATE KEY without its curve (expected: the curve named in the key)");
                yield Der.pkcs8(Der.ecAlgorithm(curve), der);
            }
            case "ENCRYPTED PRIVATE KEY" ->
                    throw new IllegalArgumentException("encrypted (expected: an unencrypted PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
            default -> throw new IllegalArgumentException(label + " (expected: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
        };
    }
}
