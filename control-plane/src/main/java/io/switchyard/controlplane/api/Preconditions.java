package io.switchyard.controlplane.api;

import io.switchyard.config.ConfigCodec;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Optimistic concurrency for the whole API, in one place: the ETags answers carry and the
 * {@code If-Match} checks writes make. An entity's ETag is a strong hash of the entity as stored (a
 * certificate without its key or the fields computed from its chain); the whole document's ETag is
 * its version ({@code "7"}). Writes check {@code If-Match} inside their store transaction, against
 * the state they replace, so nothing can change between the check and the commit. Stateless.
 */
final class Preconditions {
    private Preconditions() {
    }

    /** Strong ETag of an entity as stored. */
    static String etag(Object stored) {
        return etagOf(ConfigCodec.writeBytes(stored));
    }

    /** Strong ETag of an entity's JSON as already written. */
    static String etagOf(byte[] json) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(json);
            return "\"" + HexFormat.of().formatHex(h, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The ETag of the whole document at {@code version}. */
    static String versionTag(long version) {
        return "\"" + version + "\"";
    }

    /**
     * Passes when {@code ifMatch} is absent, {@code *}, or lists the ETag of {@code stored} (the entity
     * the write replaces); otherwise 412.
     */
    static void checkEntity(String ifMatch, Object stored) {
        if (ifMatch == null) return;
        String tag = etag(stored);
        if (!matches(ifMatch, tag, null))
            throw ApiException.preconditionFailed("If-Match " + ifMatch + " does not match the current ETag " + tag
                    + " (someone changed it since you read it)");
    }

    /**
     * Passes when {@code ifMatch} is absent, {@code *}, or names {@code version} (quoted, as the ETag
     * of {@code GET /config} gives it, or bare); otherwise 412.
     */
    static void checkVersion(String ifMatch, long version) {
        if (ifMatch == null) return;
        if (!matches(ifMatch, versionTag(version), Long.toString(version)))
            throw ApiException.preconditionFailed("If-Match " + ifMatch + " does not match the current version " + version);
    }

    /** Whether the comma-separated {@code header} holds {@code *}, {@code tag}, or (when not null) {@code bare}. */
    private static boolean matches(String header, String tag, String bare) {
        for (String t : header.split(",")) {
            String s = t.trim();
            if (s.equals("*") || s.equals(tag) || s.equals(bare)) return true;
        }
        return false;
    }
}
