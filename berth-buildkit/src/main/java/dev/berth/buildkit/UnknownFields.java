package dev.berth.buildkit;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds fields a decoded message carries that the compiled schema does not know. protobuf-java
 * keeps them aside ({@link Message#getUnknownFields}) and would re-encode them; berth refuses them
 * instead, since a field it did not judge could be one the daemon acts on (a newer BuildKit's).
 */
final class UnknownFields {
  private static final int MAX_DEPTH = 64;

  private UnknownFields() {}

  /** The path of the first unknown field in {@code message}, if any. */
  static Optional<String> first(Message message) {
    return first(message, message.getDescriptorForType().getName(), 0);
  }

  private static Optional<String> first(Message m, String at, int depth) {
    if (depth > MAX_DEPTH) {
      return Optional.of(at + " (nested too deeply)");
    }
    if (!m.getUnknownFields().asMap().isEmpty()) {
      return Optional.of(at + " field " + m.getUnknownFields().asMap().keySet().iterator().next());
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      String where = at + "." + f.getName();
      if (f.isRepeated()) {
        for (Object o : (List<?>) e.getValue()) {
          Optional<String> found = first((Message) o, where, depth + 1);
          if (found.isPresent()) {
            return found;
          }
        }
      } else {
        Optional<String> found = first((Message) e.getValue(), where, depth + 1);
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }
}
