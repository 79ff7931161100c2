package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;

/**
 * The error an entity answers with ({@code StatusReply.error}): an {@link ErrnoException} that
 * also crosses the wire. Only the errno and the detail are serialized (as CBOR, through the
 * marker), never a stack trace, so the receiver of a remote reply gets the same errno back.
 */
@JsonAutoDetect(
        fieldVisibility = JsonAutoDetect.Visibility.NONE,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonIgnoreProperties(ignoreUnknown = true)
public final class FileError extends ErrnoException implements CborSerializable {
    private static final long serialVersionUID = 1L;

    private final String detail;

    /** An error {@code errno} saying {@code detail}; the message is {@code "ERRNO: detail"}. */
    @JsonCreator
    public FileError(@JsonProperty("errno") Errno errno, @JsonProperty("detail") String detail) {
        super(errno, requireNonNull(detail, "detail"));
        this.detail = detail;
    }

    @JsonProperty("errno")
    @Override
    public Errno errno() {
        return super.errno();
    }

    /** What failed, without the errno. */
    @JsonProperty("detail")
    public String detail() {
        return detail;
    }
}
