package dev.writebackd.daemon.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.util.ByteString;

/** JSON in and out of the API: one shared, thread-safe {@link ObjectMapper}. */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    /** An answer with {@code value} as JSON. */
    static HttpResponse response(StatusCode status, Object value) {
        try {
            return HttpResponse.create().withStatus(status)
                    .withEntity(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + value, e);
        }
    }

    /** An ordered map from alternating keys and values. */
    static Map<String, Object> object(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    /**
     * The JSON object in {@code body}, with no key outside {@code allowed}.
     *
     * @throws ErrnoException EINVAL for malformed JSON, a value that is not an object, or an unknown key
     */
    static ObjectNode parseObject(ByteString body, Set<String> allowed) {
        JsonNode node;
        try {
            node = MAPPER.readTree(body.toArray());
        } catch (JsonProcessingException e) {
            throw new ErrnoException(Errno.EINVAL, "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ErrnoException(Errno.EINVAL, "unreadable JSON: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new ErrnoException(Errno.EINVAL, "the body must be a JSON object");
        }
        object.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                throw new ErrnoException(Errno.EINVAL, "unknown key \"" + name + "\"; allowed: " + allowed);
            }
        });
        return object;
    }

    /** The string at {@code key}; EINVAL if absent or not a string. */
    static String requiredString(ObjectNode object, String key) {
        JsonNode value = object.get(key);
        if (value == null || !value.isTextual()) {
            throw new ErrnoException(Errno.EINVAL, "\"" + key + "\" must be a string");
        }
        return value.textValue();
    }

    /** The boolean at {@code key}, {@code fallback} if absent; EINVAL if not a boolean. */
    static boolean optionalBoolean(ObjectNode object, String key, boolean fallback) {
        JsonNode value = object.get(key);
        if (value == null) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw new ErrnoException(Errno.EINVAL, "\"" + key + "\" must be true or false");
        }
        return value.booleanValue();
    }

    static ObjectMapper mapper() {
        return MAPPER;
    }
}
