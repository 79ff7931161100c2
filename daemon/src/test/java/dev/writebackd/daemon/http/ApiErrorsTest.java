package dev.writebackd.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The status of every errno, as DESIGN.md's "Interfaces" lists them. */
class ApiErrorsTest {
    private static final Map<Errno, Integer> DESIGN = Map.ofEntries(
            Map.entry(Errno.ENOENT, 404), Map.entry(Errno.EBADF, 404), Map.entry(Errno.ESTALE, 404),
            Map.entry(Errno.EINVAL, 400), Map.entry(Errno.ENAMETOOLONG, 400),
            Map.entry(Errno.EFBIG, 413),
            Map.entry(Errno.EIO, 500),
            Map.entry(Errno.ENOSPC, 507), Map.entry(Errno.EDQUOT, 507),
            Map.entry(Errno.EROFS, 503), Map.entry(Errno.ENXIO, 503), Map.entry(Errno.ESHUTDOWN, 503),
            Map.entry(Errno.ETIMEDOUT, 504),
            Map.entry(Errno.EACCES, 401),
            Map.entry(Errno.EPERM, 403),
            Map.entry(Errno.ENOTSUP, 501));

    @ParameterizedTest
    @EnumSource(Errno.class)
    void everyErrnoHasTheStatusOfTheDesign(Errno errno) {
        assertThat(DESIGN).containsKey(errno);

        HttpResponse response = ApiErrors.response(new CompletionException(new ErrnoException(errno, "what failed")));

        assertThat(response.status().intValue()).isEqualTo(DESIGN.get(errno));
    }

    @Test
    void anUnexpectedFailureIsAnInternalEio() {
        HttpResponse response = ApiErrors.response(new IllegalStateException("bug"));

        assertThat(response.status().intValue()).isEqualTo(500);
    }
}
