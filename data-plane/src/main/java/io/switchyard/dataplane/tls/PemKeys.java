package io.switchyard.dataplane.tls;

import java.io.ByteArrayOutputStream;
import java.util.Base64;

/**
 * Brings a PEM private key to the PKCS#8 form Netty's {@code SslContextBuilder} reads without
 * BouncyCastle: {@code BEGIN PRIVATE KEY} passes unchanged; PKCS#1 {@code BEGIN RSA PRIVATE KEY} (older
 * certbot, {@code openssl genrsa}) and SEC1 {@code BEGIN EC PRIVATE KEY} ({@code openssl ecparam}) are
 * wrapped in a PKCS#8 PrivateKeyInfo, which only needs a few DER headers around the original bytes.
 * Encrypted keys are refused. Stateless. Internal.
 */
final class PemKeys {
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7,
            0x0d, 0x01, 0x01, 0x01, 0x05, 0x00}; // SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private PemKeys() {
    }

    /** @throws IllegalArgumentException naming what is wrong with the key */
    static String toPkcs8(String pem) {
        if (pem.contains("-----BEGIN PRIVATE KEY-----")) return pem;
        if (pem.contains("ENCRYPTED")) throw new IllegalArgumentException("encrypted private keys are not supported");
        byte[] der;
        if (pem.contains("-----BEGIN RSA PRIVATE KEY-----")) {
            der = wrap(RSA_ALGORITHM, block(pem, "RSA PRIVATE KEY"));
        } else if (pem.contains("-----BEGIN EC PRIVATE KEY-----")) {
            byte[] sec1 = block(pem, "EC PRIVATE KEY");
            byte[] curve = curveOid(sec1);
            der = wrap(tlv(0x30, concat(EC_PUBLIC_KEY_OID, curve)), sec1);
        } else {
            throw new IllegalArgumentException("unknown private key type");
        }
        String b64 = Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der);
        return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
    }

    private static byte[] block(String pem, String label) {
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end, b);
        if (b < 0 || e < 0) throw new IllegalArgumentException("no complete " + label + " block");
        return Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
    }

    /** PrivateKeyInfo ::= SEQUENCE { version 0, algorithm, OCTET STRING key }. */
    private static byte[] wrap(byte[] algorithm, byte[] key) {
        return tlv(0x30, concat(new byte[]{0x02, 0x01, 0x00}, algorithm, tlv(0x04, key)));
    }

    /** The named-curve OID in the [0] parameters of a SEC1 ECPrivateKey (RFC 5915); required here. */
    private static byte[] curveOid(byte[] sec1) {
        int[] pos = {0};
        expect(sec1, pos, 0x30);
        length(sec1, pos);
        while (pos[0] < sec1.length) {
            int tag = sec1[pos[0]++] & 0xff;
            int len = length(sec1, pos);
            if (tag == 0xa0) {
                byte[] oid = new byte[len];
                System.arraycopy(sec1, pos[0], oid, 0, len);
                if (oid.length < 2 || oid[0] != 0x06) break;
                return oid;
            }
            pos[0] += len;
        }
        throw new IllegalArgumentException("EC key without its named curve (expected: parameters in the key, or PKCS#8)");
    }

    private static void expect(byte[] der, int[] pos, int tag) {
        if (pos[0] >= der.length || (der[pos[0]++] & 0xff) != tag) throw new IllegalArgumentException("malformed key");
    }

    private static int length(byte[] der, int[] pos) {
        if (pos[0] >= der.length) throw new IllegalArgumentException("malformed key");
        int first = der[pos[0]++] & 0xff;
        if (first < 0x80) return first;
        int n = first & 0x7f;
        if (n > 3 || pos[0] + n > der.length) throw new IllegalArgumentException("malformed key");
        int len = 0;
        for (int i = 0; i < n; i++) len = (len << 8) | (der[pos[0]++] & 0xff);
        return len;
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        out.write(tag);
        int len = value.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }
}
