package dev.berth.pki;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A subject alternative name of a server certificate: {@code DNS:host.example} or {@code
 * IP:192.0.2.1} (the TLS client checks the name it dialled against these).
 */
public record SubjectAltName(Kind kind, String value) {
  private static final String LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";

  /** A DNS name: labels of letters, digits and hyphens; a leading {@code *.} wildcard allowed. */
  private static final Pattern DNS = Pattern.compile("(\\*\\.)?" + LABEL + "(\\." + LABEL + ")*");

  /** IPv4 dotted quad or an IPv6 literal; never a name that would need a resolver. */
  private static final Pattern IP =
      Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  /** The two kinds of name dockerd and the docker CLI check. */
  public enum Kind {
    DNS,
    IP
  }

  public SubjectAltName {
    requireNonNull(kind, "kind");
    requireNonNull(value, "value");
  }

  /**
   * Parses {@code DNS:name} or {@code IP:address}.
   *
   * @throws IllegalArgumentException with a message for the operator
   */
  public static SubjectAltName parse(String text) {
    int colon = text.indexOf(':');
    String type = colon < 0 ? "" : text.substring(0, colon).toUpperCase(Locale.ROOT);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    return switch (type) {
      case "DNS" -> {
        String name = value.toLowerCase(Locale.ROOT);
        if (name.length() > 253 || !DNS.matcher(name).matches()) {
          throw new IllegalArgumentException("not a DNS name: " + value);
        }
        yield new SubjectAltName(Kind.DNS, name);
      }
      case "IP" -> {
        if (!IP.matcher(value).matches()) {
          throw new IllegalArgumentException("not an IP address: " + value);
        }
        try {
          // A literal never goes to a resolver: getByName parses it.
          yield new SubjectAltName(Kind.IP, InetAddress.getByName(value).getHostAddress());
        } catch (UnknownHostException e) {
          throw new IllegalArgumentException("not an IP address: " + value);
        }
      }
      default -> throw new IllegalArgumentException("expected DNS:name or IP:address, got " + text);
    };
  }

  @Override
  public String toString() {
    return kind + ":" + value;
  }
}
