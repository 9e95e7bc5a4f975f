package io.switchyard.dataplane.tls;

import io.switchyard.pem.Pem;
import io.switchyard.pem.PrivateKeys;

import java.util.Base64;
import java.util.List;

/**
 * Brings a PEM private key to the PKCS#8 form Netty's {@code SslContextBuilder} reads without
 * BouncyCastle (the PEM reading is {@link Pem} and the DER work {@link PrivateKeys}, both shared with the control plane). Snapshots from a
 * control plane already carry PKCS#8; {@code --config} files may hold PKCS#1 or SEC1 keys. Stateless. Internal.
 */
final class PemKeys {
    private PemKeys() {
    }

    /** @throws IllegalArgumentException naming what is wrong with the key */
    static String toPkcs8(String pem) {
        if (pem.contains("-----BEGIN PRIVATE KEY-----")) return pem;
        List<Pem.Block> blocks;
        try {
            blocks = Pem.blocks(pem, "key_pem");
        } catch (Pem.BadPem e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        for (Pem.Block b : blocks) {
            String label = b.label();
            if (!label.endsWith("PRIVATE KEY")) continue;
            byte[] pkcs8 = PrivateKeys.toPkcs8(label, b.der(), null);
            String b64 = Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(pkcs8);
            return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
        }
        throw new IllegalArgumentException("no complete PEM private key block");
    }
}
