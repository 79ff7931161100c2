package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @ParameterizedTest
    @CsvSource({
        "4096, 4096",
        "0, 0",
        "64k, 65536",
        "64K, 65536",
        "64KiB, 65536",
        "64kb, 65536",
        "512m, 536870912",
        "1g, 1073741824",
        "2GiB, 2147483648",
        "1t, 1099511627776",
        "'  1g ', 1073741824",
        "'8 m', 8388608",
        "100b, 100"})
    void parsesNumbersWithBinaryUnits(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "g", "-1g", "1.5g", "1x", "1 gigabyte", "0x10", "1e9", "1pb"})
    void refusesWhatIsNotASizeNamingIt(String text) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "' is not a size");
    }

    @Test
    void refusesSizesBeyondLongRange() {
        assertThatThrownBy(() -> Sizes.parse("8388608t")).hasMessageContaining("too large");
        assertThatThrownBy(() -> Sizes.parse("99999999999999999999")).hasMessageContaining("too large");
        assertThat(Sizes.parse("8388607t")).isEqualTo(8388607L << 40);
    }

    @Test
    void formatsInTheLargestUnitThatDivides() {
        assertThat(Sizes.format(65536)).isEqualTo("64 KiB");
        assertThat(Sizes.format(4L << 30)).isEqualTo("4 GiB");
        assertThat(Sizes.format(4097)).isEqualTo("4097 B");
        assertThat(Sizes.format(0)).isEqualTo("0 B");
    }
}
