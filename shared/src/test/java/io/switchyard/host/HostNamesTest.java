package io.switchyard.host;

import io.switchyard.host.HostNames.Authority;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostNamesTest {

    @Test
    void parsesANameWithoutPort() {
        Authority a = HostNames.parseAuthority("example.com");
        assertThat(a.host()).isEqualTo("example.com");
        assertThat(a.port()).isEqualTo(-1);
        assertThat(a.hasPort()).isFalse();
        assertThat(a).hasToString("example.com");
    }

    @Test
    void parsesANameWithPortAndLowercasesIt() {
        Authority a = HostNames.parseAuthority("WWW.Example.COM:8443");
        assertThat(a).isEqualTo(new Authority("www.example.com", 8443));
        assertThat(a).hasToString("www.example.com:8443");
    }

    @Test
    void removesOneTrailingDotOfAFullyQualifiedName() {
        assertThat(HostNames.parseAuthority("example.com.")).isEqualTo(new Authority("example.com", -1));
        assertThat(HostNames.parseAuthority("example.com.:80")).isEqualTo(new Authority("example.com", 80));
        assertThat(HostNames.parseAuthority("example.com..")).isNull();
        assertThat(HostNames.parseAuthority(".")).isNull();
    }

    @Test
    void acceptsUnderscoresHyphensAndDigitsInLabels() {
        assertThat(HostNames.parseAuthority("_acme-challenge.a-1.example9.com").host()).isEqualTo("_acme-challenge.a-1.example9.com");
        assertThat(HostNames.parseAuthority("localhost:1")).isEqualTo(new Authority("localhost", 1));
    }

    @Test
    void acceptsAnEmptyPortAsNone() {
        assertThat(HostNames.parseAuthority("example.com:")).isEqualTo(new Authority("example.com", -1));
        assertThat(HostNames.parseAuthority("[::1]:")).isEqualTo(new Authority("[::1]", -1));
    }

    @Test
    void acceptsPortsFromZeroTo65535() {
        assertThat(HostNames.parseAuthority("h:0").port()).isZero();
        assertThat(HostNames.parseAuthority("h:65535").port()).isEqualTo(65535);
        assertThat(HostNames.parseAuthority("h:00080").port()).isEqualTo(80);
        assertThat(HostNames.parseAuthority("h:65536")).isNull();
        assertThat(HostNames.parseAuthority("h:100000")).isNull();
        assertThat(HostNames.parseAuthority("h:8a")).isNull();
        assertThat(HostNames.parseAuthority("h:-1")).isNull();
        assertThat(HostNames.parseAuthority("h:+80")).isNull();
    }

    @Test
    void parsesIpv4DottedQuads() {
        assertThat(HostNames.parseAuthority("127.0.0.1:8080")).isEqualTo(new Authority("127.0.0.1", 8080));
        assertThat(HostNames.parseAuthority("255.255.255.255").host()).isEqualTo("255.255.255.255");
        assertThat(HostNames.parseAuthority("0.0.0.0").host()).isEqualTo("0.0.0.0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.4.", "2130706433", "1..2.3",
            "0x7f.0.0.1", "example.0x10", "a.b.123", "0x7f"})
    void refusesNumbersThatAreNotADottedQuad(String s) {
        assertThat(HostNames.parseAuthority(s)).isNull();
    }

    @Test
    void parsesBracketedIpv6AndKeepsTheBrackets() {
        Authority a = HostNames.parseAuthority("[2001:DB8::1]:443");
        assertThat(a).isEqualTo(new Authority("[2001:db8::1]", 443));
        assertThat(a).hasToString("[2001:db8::1]:443");
        assertThat(HostNames.parseAuthority("[::1]")).hasToString("[::1]");
        assertThat(HostNames.parseAuthority("[::ffff:10.0.0.1]").host()).isEqualTo("[::ffff:10.0.0.1]");
        assertThat(HostNames.parseAuthority("[1:2:3:4:5:6:7:8]")).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "[::1", "::1", "[::1]x", "[::1]:80:80", "[1:2:3:4:5:6:7:8:9]", "[1::2::3]", "[:1]",
            "[1:]", "[fe80::1%25eth0]", "[v1.abc]", "[12345::]", "[::g]", "[1:2:3:4:5:6:7:8::]", "[::1.2.3.4.5]"})
    void refusesMalformedIpv6Literals(String s) {
        assertThat(HostNames.parseAuthority(s)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"t:@evil.example", "user@example.com", "a b", "t/../x", "a\\b", "a%2eb", "a\u0000b", "a\tb",
            "a\r\nb", "", ":80", "a:b:c", "a:80:", "exa mple.com", "example.com/", "*.example.com", "a;b", "a,b",
            "\u00e9xample.com", "a..b", "-", "-a.com", "a-.com", "a=b", "[::1]@x"})
    void refusesWhatIsNotAHostAndOptionalPort(String s) {
        assertThat(HostNames.parseAuthority(s)).isNull();
    }

    @Test
    void refusesNullAndOverlongNamesAndLabels() {
        assertThat(HostNames.parseAuthority(null)).isNull();
        String label63 = "a".repeat(63);
        assertThat(HostNames.parseAuthority(label63 + ".com")).isNotNull();
        assertThat(HostNames.parseAuthority("a" + label63 + ".com")).isNull();
        String name253 = (label63 + ".").repeat(3) + "a".repeat(61);
        assertThat(name253).hasSize(253);
        assertThat(HostNames.parseAuthority(name253)).isNotNull();
        assertThat(HostNames.parseAuthority(name253 + ".")).isNotNull();
        assertThat(HostNames.parseAuthority(name253 + "a")).isNull();
    }

    @Test
    void authorityRefusesAnEmptyHostOrAPortOutOfRange() {
        assertThatThrownBy(() -> new Authority("", 1)).hasMessageContaining("expected: non-empty");
        assertThatThrownBy(() -> new Authority("h", 70000)).hasMessage("port: 70000 (expected: -1 for none, or 0..65535)");
    }

    @Test
    void normalizeLowercasesAndDropsPortAndTrailingDot() {
        assertThat(HostNames.normalize("Example.COM.:8080")).isEqualTo("example.com");
        assertThat(HostNames.normalize("example.com:")).isEqualTo("example.com");
        assertThat(HostNames.normalize("[::1]:80")).isEqualTo("[::1]");
        assertThat(HostNames.normalize("[2001:DB8::1]")).isEqualTo("[2001:db8::1]");
        assertThat(HostNames.normalize("2001:db8::1")).isEqualTo("2001:db8::1");
        assertThat(HostNames.normalize("*.Example.com")).isEqualTo("*.example.com");
    }

    @Test
    void normalizeAnswersNullForNothing() {
        assertThat(HostNames.normalize(null)).isNull();
        assertThat(HostNames.normalize("")).isNull();
        assertThat(HostNames.normalize(":80")).isNull();
        assertThat(HostNames.normalize(".")).isNull();
    }

    @Test
    void normalizeReturnsTheSameInstanceWhenAlreadyNormal() {
        String h = new String("api.example.com");
        assertThat(HostNames.normalize(h)).isSameAs(h);
    }

    @Test
    void parsesIpLiteralsToTheirBytes() {
        assertThat(HostNames.parseIpLiteral("10.1.2.3")).containsExactly(10, 1, 2, 3);
        assertThat(HostNames.parseIpLiteral("::1")).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
        assertThat(HostNames.parseIpLiteral("[::1]")).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
        assertThat(HostNames.parseIpLiteral("::ffff:192.0.2.1")).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, (byte) 192, 0, 2, 1);
        assertThat(HostNames.parseIpLiteral("2001:db8:0:0:1:0:0:1"))
                .containsExactly(0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1);
        assertThat(HostNames.parseIpLiteral("1::")).containsExactly(0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(HostNames.parseIpLiteral("::")).containsOnly(0).hasSize(16);
        assertThat(HostNames.parseIpLiteral("1:2:3:4:5:6:7::")).endsWith(0, 7, 0, 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "example.com", "10.0.0", "10.0.0.256", ":::", "1:2", "fe80::1%eth0", "[::1", "::ffff:1.2.3",
            "1:2:3:4:5:6:7:1.2.3.4", "\uff11::"})
    void parseIpLiteralAnswersNullForAnythingElse(String s) {
        assertThat(HostNames.parseIpLiteral(s)).isNull();
    }
}
