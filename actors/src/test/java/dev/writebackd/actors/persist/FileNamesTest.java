package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.error.Errno;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FileNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "data.log", " spaced name ", "\u00e9t\u00e9", "\uD83D\uDE00"})
    void ordinaryNamesAreValid(String name) {
        assertThat(FileNames.problem(name)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"1, 255, ", "1, 256, ENAMETOOLONG", "3, 85, ", "3, 86, ENAMETOOLONG", "4, 63, ", "4, 64, ENAMETOOLONG"})
    void theLimitIs255BytesOfUtf8NotCharacters(int bytesPerChar, int count, Errno expected) {
        String character = switch (bytesPerChar) {
            case 1 -> "a";
            case 3 -> "\u20AC";
            default -> "\uD83D\uDE00";
        };

        assertThat(FileNames.problem(character.repeat(count)).map(FileError::errno))
                .isEqualTo(Optional.ofNullable(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b", "/", "a\0", "\uD800", "x\uDC00y"})
    void emptyNamesSlashesNulAndLoneSurrogatesAreEinval(String name) {
        assertThat(FileNames.problem(name).map(FileError::errno)).contains(Errno.EINVAL);
    }

    @Test
    void nullIsEinval() {
        assertThat(FileNames.problem(null).map(FileError::errno)).contains(Errno.EINVAL);
    }
}
