package io.switchyard.pem;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The few bytes of DER needed to wrap PKCS#1 ("RSA PRIVATE KEY") and SEC1 ("EC PRIVATE KEY")
 * keys into PKCS#8, the only private-key encoding the JDK's {@code KeyFactory} reads. Stateless.
 */
public final class Der {
    public static final int SEQUENCE = 0x30;
    public static final int INTEGER = 0x02;
    public static final int OCTET_STRING = 0x04;
    public static final int NULL = 0x05;
    public static final int OID = 0x06;
    public static final int CONTEXT_0 = 0xA0;

    /** rsaEncryption, 1.2.840.113549.1.1.1 */
    public static final byte[] RSA_ENCRYPTION = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    /** id-ecPublicKey, 1.2.840.10045.2.1 */
    public static final byte[] EC_PUBLIC_KEY = {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private Der() {
    }

    /** One tag-length-value; {@code end} is the offset just past it. */
    public record Tlv(int tag, byte[] source, int valueStart, int end) {
        public byte[] value() {
            return Arrays.copyOfRange(source, valueStart, end);
        }

        public byte[] encoded(int start) {
            return Arrays.copyOfRange(source, start, end);
        }
    }

    public static Tlv read(byte[] in, int offset) {
        if (offset + 2 > in.length) throw new IllegalArgumentException("truncated DER");
        int tag = in[offset] & 0xff;
        int len = in[offset + 1] & 0xff;
        int pos = offset + 2;
        if (len >= 0x80) {
            int n = len & 0x7f;
            if (n == 0 || n > 3 || pos + n > in.length) throw new IllegalArgumentException("unsupported DER length");
            len = 0;
            for (int i = 0; i < n; i++) len = (len << 8) | (in[pos++] & 0xff);
        }
        if (pos + len > in.length) throw new IllegalArgumentException("truncated DER");
        return new Tlv(tag, in, pos, pos + len);
    }

    public static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) body.writeBytes(p);
        int len = body.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
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
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, OCTET STRING privateKey } */
    public static byte[] pkcs8(byte[] algorithmIdentifier, byte[] privateKey) {
        return tlv(SEQUENCE, tlv(INTEGER, new byte[]{0}), algorithmIdentifier, tlv(OCTET_STRING, privateKey));
    }

    public static byte[] rsaAlgorithm() {
        return tlv(SEQUENCE, tlv(OID, RSA_ENCRYPTION), tlv(NULL));
    }

    public static byte[] ecAlgorithm(byte[] curveOidTlv) {
        return tlv(SEQUENCE, tlv(OID, EC_PUBLIC_KEY), curveOidTlv);
    }

    /**
     * The named-curve OID (as a whole TLV) from a SEC1 ECPrivateKey's optional {@code [0]}
     * parameters, or null when the key leaves them out (then the certificate's curve is used).
     */
    public static byte[] sec1CurveOid(byte[] sec1) {
        Tlv seq = read(sec1, 0);
        if (seq.tag() != SEQUENCE) throw new IllegalArgumentException("not a SEC1 ECPrivateKey");
        int pos = seq.valueStart();
        Tlv version = read(sec1, pos);
        pos = version.end();
        Tlv key = read(sec1, pos);
        if (version.tag() != INTEGER || key.tag() != OCTET_STRING) throw new IllegalArgumentException("not a SEC1 ECPrivateKey");
        pos = key.end();
        if (pos < seq.end()) {
            Tlv params = read(sec1, pos);
            if (params.tag() == CONTEXT_0) {
                int start = params.valueStart();
                Tlv oid = read(sec1, start);
                if (oid.tag() == OID) return oid.encoded(start);
            }
        }
        return null;
    }

    /** The curve OID TLV from an EC SubjectPublicKeyInfo (a certificate's public key), or null. */
    public static byte[] spkiCurveOid(byte[] spki) {
        Tlv seq = read(spki, 0);
        Tlv alg = read(spki, seq.valueStart());
        Tlv algOid = read(spki, alg.valueStart());
        if (algOid.end() >= alg.end()) return null;
        Tlv params = read(spki, algOid.end());
        return params.tag() == OID ? params.encoded(algOid.end()) : null;
    }
}
