package dev.writebackd.daemon.http;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errors as HTTP answers: JSON {@code {"errno": "EIO", "message": "..."}} with the status DESIGN.md
 * gives each errno. Stateless.
 */
final class ApiErrors {
    private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

    private ApiErrors() {}

    /** The status of a failure with {@code errno}. */
    static StatusCode status(Errno errno) {
        return switch (errno) {
            case ENOENT, EBADF, ESTALE -> StatusCodes.NOT_FOUND;
            case EINVAL, ENAMETOOLONG -> StatusCodes.BAD_REQUEST;
            case EFBIG -> StatusCodes.PAYLOAD_TOO_LARGE;
            case EIO -> StatusCodes.INTERNAL_SERVER_ERROR;
            case ENOSPC, EDQUOT -> StatusCodes.INSUFFICIENT_STORAGE;
            case EROFS, ENXIO, ESHUTDOWN -> StatusCodes.SERVICE_UNAVAILABLE;
            case ETIMEDOUT -> StatusCodes.GATEWAY_TIMEOUT;
            case EACCES -> StatusCodes.UNAUTHORIZED;
            case EPERM -> StatusCodes.FORBIDDEN;
            case ENOTSUP -> StatusCodes.NOT_IMPLEMENTED;
        };
    }

    /** The answer to {@code failure}: its errno's status, or 500 EIO for anything that is not an {@link ErrnoException}. */
    static HttpResponse response(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof ErrnoException e) {
            return error(status(e.errno()), e.errno(), messageOf(e));
        }
        log.error("Request failed unexpectedly", cause);
        return error(StatusCodes.INTERNAL_SERVER_ERROR, Errno.EIO, "internal error: " + cause);
    }

    /** A JSON error answer. */
    static HttpResponse error(StatusCode status, Errno errno, String message) {
        return Json.response(status, Json.object("errno", errno.name(), "message", message));
    }

    /** The error answer for {@code errno} with its usual status. */
    static HttpResponse error(Errno errno, String message) {
        return error(status(errno), errno, message);
    }

    static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** The exception's message without the "ERRNO: " prefix {@link ErrnoException} puts in front. */
    private static String messageOf(ErrnoException e) {
        String message = e.getMessage();
        String prefix = e.errno().name() + ": ";
        return message != null && message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }
}
