package dev.writebackd.daemon.http;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of the HTTP API.
 *
 * <p>Read by {@link #fromConfig}: {@code writebackd.http.max-body} (a size, default 64 MiB) and
 * {@code writebackd.http.token} (default none), the token overridden by the environment variable
 * {@value #TOKEN_ENV} when that is set and not empty.
 *
 * @param maxBodyBytes the largest request body accepted, in bytes; above 0
 * @param token the bearer token every request must carry, or empty for none
 */
public record ApiSettings(long maxBodyBytes, Optional<String> token) {
    /** The default body limit: 64 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 64L << 20;
    /** The environment variable that supplies the token. */
    public static final String TOKEN_ENV = "WRITEBACKD_TOKEN";
    static final String MAX_BODY = "writebackd.http.max-body";
    static final String TOKEN = "writebackd.http.token";

    /** Validates: a positive limit, a token without blanks and not empty. */
    public ApiSettings {
        requireNonNull(token, "token");
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException(MAX_BODY + " = " + maxBodyBytes + " is invalid: allowed more than 0 bytes");
        }
        token.ifPresent(value -> {
            if (value.isBlank() || value.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException(TOKEN + " is invalid: allowed a non-empty token without spaces");
            }
        });
    }

    /** A 64 MiB limit and no token. */
    public static ApiSettings defaults() {
        return new ApiSettings(DEFAULT_MAX_BODY_BYTES, Optional.empty());
    }

    /** These settings with {@code token} required. */
    public ApiSettings withToken(String token) {
        return new ApiSettings(maxBodyBytes, Optional.of(token));
    }

    /** These settings with another body limit. */
    public ApiSettings withMaxBodyBytes(long bytes) {
        return new ApiSettings(bytes, token);
    }

    /**
     * The settings in {@code config} (keys absent take their defaults), the token from
     * {@code environment}'s {@value #TOKEN_ENV} if set.
     *
     * @throws IllegalArgumentException naming the key of an invalid value
     */
    public static ApiSettings fromConfig(Config config, Map<String, String> environment) {
        requireNonNull(config, "config");
        requireNonNull(environment, "environment");
        long maxBody = config.hasPath(MAX_BODY) ? config.getBytes(MAX_BODY) : DEFAULT_MAX_BODY_BYTES;
        String fromEnv = environment.get(TOKEN_ENV);
        String configured = config.hasPath(TOKEN) ? config.getString(TOKEN) : "";
        String token = fromEnv != null && !fromEnv.isEmpty() ? fromEnv : configured;
        return new ApiSettings(maxBody, token.isEmpty() ? Optional.empty() : Optional.of(token));
    }
}
