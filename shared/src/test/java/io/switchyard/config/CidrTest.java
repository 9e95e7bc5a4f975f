package io.switchyard.config;

import io.switchyard.host.HostNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CidrTest {

    private static byte[] ip(String s) {
        byte[] b = HostNames.parseIpLiteral(s);
        assertThat(b).as(s).isNotNull();
        return b;
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "10.0.0.0/8, 10.0.0.0/8",
            "192.168.1.7, 192.168.1.7/32",
            "0.0.0.0/0, 0.0.0.0/0",
            "::1/128, ::1/128",
            "::1, ::1/128",
            "fd00::/8, fd00::/8",
            "FD00:0:0:0:0:0:0:0/8, fd00::/8",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1/128",
            "2001:0db8:0000:0000:0000:0000:0000:0000/32, 2001:db8::/32",
            "::/0, ::/0",
            "1:0:0:2::/64, 1:0:0:2::/64",
            "::ffff:10.0.0.0/104, ::ffff:10.0.0.0/104",
            "1:2:3:4:5:6:7:0, 1:2:3:4:5:6:7:0/128",
            "0:1:0:0:1:0:0:0/128, 0:1:0:0:1::/128",
            "1:0:0:2:0:0:3:4/128, 1::2:0:0:3:4/128",
    })
    void parsesAndPrintsCanonically(String in, String canonical) {
        Cidr c = Cidr.parse(in);
        assertThat(c).hasToString(canonical);
        assertThat(Cidr.parse(c.toString())).isEqualTo(c).hasSameHashCodeAs(c);
    }

    @Test
    void refusesHostBitsNamingTheNetworkAddress() {
        assertThatThrownBy(() -> Cidr.parse("10.0.0.1/8"))
                .hasMessage("\"10.0.0.1/8\" (expected: 10.0.0.0/8, the network address, or 10.0.0.1/32 for the single address)");
        assertThatThrownBy(() -> Cidr.parse("fd00::1/8"))
                .hasMessageStartingWith("\"fd00::1/8\" (expected: fd00::/8,");
        assertThatThrownBy(() -> Cidr.parse("192.168.1.129/25")).hasMessageStartingWith("\"192.168.1.129/25\" (expected: 192.168.1.128/25,");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "example.com", "localhost", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.0/8/8",
            "10.0.0/8", "10.0.0.256/32", "::1/129", "[::1]/128", "[::1]", "fe80::1%eth0/64", " 10.0.0.0/8", "10.0.0.0/8 ",
            "10.0.0.0/a", "010.0.0.0/8"})
    void refusesWhatIsNotALiteralNetwork(String s) {
        assertThatThrownBy(() -> Cidr.parse(s)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("\"" + s + "\" (expected: ");
    }

    @Test
    void refusesNull() {
        assertThatThrownBy(() -> Cidr.parse(null)).hasMessageStartingWith("null (expected: ");
    }

    @Test
    void containsAddressesOfItsNetworkOnly() {
        Cidr c = Cidr.parse("192.168.1.128/25");
        assertThat(c.contains(ip("192.168.1.128"))).isTrue();
        assertThat(c.contains(ip("192.168.1.255"))).isTrue();
        assertThat(c.contains(ip("192.168.1.127"))).isFalse();
        assertThat(c.contains(ip("192.168.2.200"))).isFalse();
        assertThat(c.isIpv4()).isTrue();
        assertThat(c.prefixLength()).isEqualTo(25);
        assertThat(c.network()).containsExactly(192, 168, 1, 128);
    }

    @Test
    void aSingleAddressContainsOnlyItself() {
        Cidr c = Cidr.parse("10.1.2.3");
        assertThat(c.contains(ip("10.1.2.3"))).isTrue();
        assertThat(c.contains(ip("10.1.2.4"))).isFalse();
        assertThat(Cidr.parse("::1").contains(ip("::1"))).isTrue();
        assertThat(Cidr.parse("::1").contains(ip("::2"))).isFalse();
    }

    @Test
    void zeroPrefixContainsEveryAddressOfItsFamily() {
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("255.1.2.3"))).isTrue();
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("2001:db8::1"))).isFalse();
        assertThat(Cidr.parse("::/0").contains(ip("2001:db8::1"))).isTrue();
    }

    @Test
    void ipv6NetworksMatchOnTheirPrefix() {
        Cidr c = Cidr.parse("fd00::/8");
        assertThat(c.isIpv4()).isFalse();
        assertThat(c.contains(ip("fd12:3456::1"))).isTrue();
        assertThat(c.contains(ip("fe80::1"))).isFalse();
        Cidr odd = Cidr.parse("2001:db8:8000::/33");
        assertThat(odd.contains(ip("2001:db8:8000::5"))).isTrue();
        assertThat(odd.contains(ip("2001:db8:ffff::5"))).isTrue();
        assertThat(odd.contains(ip("2001:db8:7fff::5"))).isFalse();
    }

    @Test
    void anIpv4MappedIpv6AddressMatchesIpv4Networks() {
        Cidr c = Cidr.parse("10.0.0.0/8");
        assertThat(c.contains(ip("::ffff:10.9.8.7"))).isTrue();
        assertThat(c.contains(ip("::ffff:11.9.8.7"))).isFalse();
        assertThat(c.contains(ip("::10.9.8.7"))).as("IPv4-compatible is not mapped").isFalse();
        assertThat(c.contains(ip("64:ff9b::10.9.8.7"))).isFalse();
    }

    @Test
    void anIpv4AddressMatchesAMappedIpv6Network() {
        Cidr c = Cidr.parse("::ffff:10.0.0.0/104");
        assertThat(c.contains(ip("10.200.0.1"))).isTrue();
        assertThat(c.contains(ip("11.0.0.1"))).isFalse();
    }

    @Test
    void containsReadsIpLiteralsAndRefusesNames() {
        Cidr c = Cidr.parse("10.0.0.0/8");
        assertThat(c.contains("10.0.0.1")).isTrue();
        assertThat(c.contains("[::ffff:10.0.0.1]")).isTrue();
        assertThat(c.contains("11.0.0.1")).isFalse();
        assertThat(c.contains("ten.example")).isFalse();
        assertThat(c.contains((String) null)).isFalse();
    }

    @Test
    void containsRefusesAddressesOfAnotherLength() {
        Cidr c = Cidr.parse("10.0.0.0/8");
        assertThatThrownBy(() -> c.contains(new byte[5])).hasMessage("address: 5 bytes (expected: 4 or 16 bytes)");
        assertThatThrownBy(() -> c.contains((byte[]) null)).hasMessage("address: null (expected: 4 or 16 bytes)");
    }

    @Test
    void networkIsACopy() {
        Cidr c = Cidr.parse("10.0.0.0/8");
        c.network()[0] = 11;
        assertThat(c.contains(ip("10.0.0.1"))).isTrue();
    }
}
