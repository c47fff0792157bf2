package dev.berth.policy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict percent-decoding: exactly once, valid escapes only, valid UTF-8 only. */
final class Percent {
  private Percent() {}

  /** Decodes a path segment; {@code +} stays a plus sign, as in Go's PathUnescape. */
  static String decodePath(String s, String what) throws RequestException {
    return decode(s, false, what);
  }

  /** Decodes a query key or value; {@code +} is a space, as in Go's QueryUnescape. */
  static String decodeQuery(String s, String what) throws RequestException {
    return decode(s, true, what);
  }

  private static String decode(String s, boolean plusIsSpace, String what) throws RequestException {
    if (s.indexOf('%') < 0 && !(plusIsSpace && s.indexOf('+') >= 0)) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw RequestException.bad(what + ": truncated percent escape");
        }
        int hi = hexDigit(s.charAt(i + 1));
        int lo = hexDigit(s.charAt(i + 2));
        if (hi < 0 || lo < 0) {
          throw RequestException.bad(what + ": invalid percent escape");
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        out.write(' ');
      } else if (c < 0x80) {
        out.write(c);
      } else {
        throw RequestException.bad(what + ": raw non-ASCII character");
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw RequestException.bad(what + ": not valid UTF-8");
    }
  }

  /**
   * An ASCII hex digit's value, else -1 ({@link Character#digit} also takes Unicode digits such as
   * U+06F2, which made {@code %\u06F2f} an encoded '/' that the raw-text check missed).
   */
  private static int hexDigit(char c) {
    return c < 0x80 ? Character.digit(c, 16) : -1;
  }
}
