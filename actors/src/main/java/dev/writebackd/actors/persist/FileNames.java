package dev.writebackd.actors.persist;

import dev.writebackd.error.Errno;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The rules for a file name, as Linux applies them to one path component: not empty, no NUL, no
 * '/', at most {@value #NAME_MAX} bytes in UTF-8. Names are stored as given; they are compared
 * exactly (no normalisation, case-sensitive).
 */
public final class FileNames {
    /** The longest name in bytes of UTF-8, Linux's {@code NAME_MAX}. */
    public static final int NAME_MAX = 255;

    private FileNames() {}

    /**
     * Checks a name.
     *
     * @return the error to answer (EINVAL or ENAMETOOLONG), or empty when the name is valid
     */
    public static Optional<FileError> problem(String name) {
        if (name == null || name.isEmpty()) {
            return Optional.of(new FileError(Errno.EINVAL, "empty file name"));
        }
        if (name.indexOf('\0') >= 0) {
            return Optional.of(new FileError(Errno.EINVAL, "file name contains NUL"));
        }
        if (name.indexOf('/') >= 0) {
            return Optional.of(new FileError(Errno.EINVAL, "file name contains '/': " + name));
        }
        int bytes;
        try {
            bytes = utf8Length(name);
        } catch (CharacterCodingException e) {
            return Optional.of(new FileError(Errno.EINVAL, "file name is not valid Unicode"));
        }
        if (bytes > NAME_MAX) {
            return Optional.of(new FileError(Errno.ENAMETOOLONG,
                    "file name has " + bytes + " bytes in UTF-8, at most " + NAME_MAX + " allowed"));
        }
        return Optional.empty();
    }

    /** Length in UTF-8; a lone surrogate has no UTF-8 form and is refused rather than replaced. */
    private static int utf8Length(String name) throws CharacterCodingException {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder();
        return encoder.encode(CharBuffer.wrap(name)).remaining();
    }
}
