package io.switchyard.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RequestPathsTest {

    private static String merged(String raw) {
        return RequestPaths.normalize(raw, true);
    }

    private static String reasonFor(String raw) {
        return catchThrowableOfType(BadPathException.class, () -> RequestPaths.normalize(raw, true)).reason();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/public/../admin, /admin",
            "/public/%2e%2e/admin, /admin",
            "/public/%2E%2E/admin, /admin",
            "/public/.%2e/admin, /admin",
            "/a/./b, /a/b",
            "/a/%2e/b, /a/b",
            "/a//b, /a/b",
            "/a///b//, /a/b/",
            "//, /",
            "/%7euser, /~user",
            "/%41%42%43-%5f%2E%7E%30, /ABC-_.~0",
            "/a%20b, /a%20b",
            "/a%c3%a9, /a%C3%A9",
            "/a%3bb, /a%3Bb",
            "/a%25b, /a%25b",
            "/a/b/.., /a/",
            "/a/b/., /a/b/",
            "/a/.., /",
            "/., /",
            "/a/b/../../c, /c",
            "/a/b/../c/./d/.., /a/c/",
            "/a/..//b, /b",
            "/.well-known/acme, /.well-known/acme",
            "/a/.../b, /a/.../b",
            "/a/..b/.c, /a/..b/.c",
            "/, /",
    })
    void normalizesWithSlashesMerged(String raw, String expected) {
        assertThat(merged(raw)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/a//b, /a//b",
            "//, //",
            "/a//../b, /a/b",
            "/a/.//b, /a//b",
            "/a//%2e%2e/b, /a/b",
            "/a/b//, /a/b//",
    })
    void keepsRepeatedSlashesWhenNotMerging(String raw, String expected) {
        assertThat(RequestPaths.normalize(raw, false)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/a", "/a/b/c", "/api/v1/users;id=7", "/~user/a-b_c.d", "/a:b@c!$&'()*+,=", "/.well-known/x",
            "/a/b/"})
    void returnsTheSameInstanceForAPathAlreadyNormal(String raw) {
        String s = new String(raw);
        assertThat(merged(s)).isSameAs(s);
        assertThat(RequestPaths.normalize(s, false)).isSameAs(s);
    }

    @Test
    void returnsTheSameInstanceForRepeatedSlashesWhenNotMerging() {
        String s = new String("/a//b");
        assertThat(RequestPaths.normalize(s, false)).isSameAs(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/public/..%2fadmin", "/a%2Fb", "/a%2fb"})
    void refusesAnEncodedSlash(String raw) {
        assertThat(reasonFor(raw)).isEqualTo("encoded '/' in path");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a%5cb", "/a%5Cb"})
    void refusesAnEncodedBackslash(String raw) {
        assertThat(reasonFor(raw)).isEqualTo("encoded '\\' in path");
    }

    @Test
    void refusesAnEncodedNul() {
        assertThat(reasonFor("/a%00")).isEqualTo("encoded NUL in path");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a%zzb", "/a%", "/a%4", "/a%4g", "/%%41", "/a%-1"})
    void refusesMalformedPercentEncoding(String raw) {
        assertThat(reasonFor(raw)).isEqualTo("malformed percent-encoding in path");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/../a", "/a/../..", "/a/../../b", "/%2e%2e", "/a/%2E%2E/%2e%2e/x"})
    void refusesDotDotAboveTheRoot(String raw) {
        assertThat(reasonFor(raw)).isEqualTo("'..' above the root in path");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a/..;x/b", "/a/.;x/b", "/..;/admin", "/a/%2e%2e;x", "/a/..%3bx/b", "/a/.%3Bjsessionid=1"})
    void refusesDotSegmentsWithParameters(String raw) {
        assertThat(reasonFor(raw)).isEqualTo("dot segment with parameters in path");
    }

    @Test
    void namesTheCharacterThatIsNotAllowedRaw() {
        assertThat(reasonFor("/a\\b")).isEqualTo("character '\\' in path");
        assertThat(reasonFor("/a b")).isEqualTo("space in path");
        assertThat(reasonFor("/a\u0000b")).isEqualTo("control byte 0x00 in path");
        assertThat(reasonFor("/a\tb")).isEqualTo("control byte 0x09 in path");
        assertThat(reasonFor("/a\u007fb")).isEqualTo("control byte 0x7F in path");
        assertThat(reasonFor("/caf\u00e9")).isEqualTo("non-ASCII character in path");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a\"b", "/a<b", "/a>b", "/a^b", "/a`b", "/a{b", "/a|b", "/a}b", "/a#b", "/a?b", "/a[b", "/a]b",
            "/a\rb", "/a\nb"})
    void refusesEveryRawCharacterOutsidePchar(String raw) {
        assertThatThrownBy(() -> RequestPaths.normalize(raw, true)).isInstanceOf(BadPathException.class);
        assertThatThrownBy(() -> RequestPaths.normalize(raw, false)).isInstanceOf(BadPathException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b", "*", "http://h/a", "%2f"})
    void refusesAPathThatDoesNotStartWithSlash(String raw) {
        assertThat(reasonFor(raw)).isEqualTo("path must start with '/'");
    }

    @Test
    void refusesNull() {
        assertThatThrownBy(() -> RequestPaths.normalize(null, true)).isInstanceOf(BadPathException.class)
                .hasMessage("path must start with '/'");
    }

    @Test
    void refusesEvenWhenTheBadPartComesAfterSomethingToNormalize() {
        assertThat(reasonFor("/a/../b\\c")).isEqualTo("character '\\' in path");
        assertThat(reasonFor("/a//b/%2f")).isEqualTo("encoded '/' in path");
    }

    @Test
    void theResultIsAFixedPoint() {
        String[] inputs = {"/public/%2e%2e/admin", "/a//b/./c/..", "/%7e%41/x%2d", "/a/b/../", "/x%c3%a9//y"};
        for (String in : inputs) {
            String once = merged(in);
            assertThat(merged(once)).as(in).isEqualTo(once);
            assertThat(RequestPaths.normalize(once, true)).as(in).isSameAs(once);
        }
    }

    @Test
    void badPathExceptionCarriesNoStackTrace() {
        BadPathException e = catchThrowableOfType(BadPathException.class, () -> merged("/.."));
        assertThat(e.getStackTrace()).isEmpty();
        assertThat(e).hasMessage(e.reason());
    }
}
