package io.switchyard.controlplane.store;

import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Encrypts private keys for storage (the {@code certificates.key_pem} column and the keys inside
 * stored snapshot documents) with AES-256-GCM under a key derived from the operator's secret
 * ({@code SWITCHYARD_SECRET_KEY} or {@code --secret-key-file}). A stored value reads
 * {@code enc:v1:<base64 of 12-byte nonce + ciphertext + 16-byte tag>}; anything else is plain text
 * from before encryption was turned on, and is read as it is. Thread-safe (a new Cipher per call).
 */
public final class SecretBox {
    static final String PREFIX = "enc:v1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    /**
     * Fixed: the derived key must be the same on every control plane sharing the database and after
     * every restart. The iterations make guessing a weak secret from a stolen database slow.
     */
    private static final byte[] SALT = "switchyard/private-keys/v1".getBytes(StandardCharsets.UTF_8);
    private static final int ITERATIONS = 210_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    private SecretBox(SecretKeySpec key) {
        this.key = key;
    }

    /** A box for {@code secret}; null secret means no encryption (returns null). */
    public static SecretBox of(String secret) {
        if (secret == null) return null;
        if (secret.length() < 16)
            throw new IllegalArgumentException("secret key: " + secret.length() + " characters (expected: at least 16, e.g. from openssl rand -base64 32)");
        try {
            SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
            byte[] raw = f.generateSecret(new PBEKeySpec(secret.toCharArray(), SALT, ITERATIONS, 256)).getEncoded();
            return new SecretBox(new SecretKeySpec(raw, "AES"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the storage key: " + e.getMessage(), e);
        }
    }

    public String seal(String plain) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            byte[] sealed = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[NONCE_BYTES + sealed.length];
            System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
            System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt a private key: " + e.getMessage(), e);
        }
    }

    /** The plain text of a stored value ({@code box} may be null: then only plain values can be read). */
    public static String open(SecretBox box, String stored) {
        if (stored == null || !stored.startsWith(PREFIX)) return stored;
        if (box == null)
            throw new IllegalStateException("the database holds encrypted private keys: set SWITCHYARD_SECRET_KEY (or --secret-key-file) to the key they were stored with");
        try {
            byte[] in = Base64.getDecoder().decode(stored.substring(PREFIX.length()));
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, box.key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
            return new String(c.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalStateException("a stored private key does not decrypt with this secret key (SWITCHYARD_SECRET_KEY differs from the one it was stored with)");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("a stored private key is unreadable: " + e.getMessage(), e);
        }
    }

    public static boolean sealed(String stored) {
        return stored != null && stored.startsWith(PREFIX);
    }
}
