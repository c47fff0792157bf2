package dev.berth.policy.docker;

import com.fasterxml.jackson.core.SerializableString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A JSON value as bytes of the daemon's answer, written as they are by a UTF-8 generator's {@code
 * writeRawValue} ({@link ListAnswer}: only bytes Jackson would write the same). Only the unquoted
 * forms exist: a value is never written as a quoted string.
 */
final class RawValue implements SerializableString {
  private final byte[] bytes;
  private final int start;
  private final int end;

  RawValue(byte[] bytes, int start, int end) {
    this.bytes = bytes;
    this.start = start;
    this.end = end;
  }

  @Override
  public String getValue() {
    return new String(bytes, start, end - start, StandardCharsets.UTF_8);
  }

  @Override
  public int charLength() {
    return getValue().length();
  }

  @Override
  public byte[] asUnquotedUTF8() {
    return Arrays.copyOfRange(bytes, start, end);
  }

  @Override
  public int appendUnquotedUTF8(byte[] buffer, int offset) {
    int length = end - start;
    if (offset + length > buffer.length) {
      return -1;
    }
    System.arraycopy(bytes, start, buffer, offset, length);
    return length;
  }

  @Override
  public int appendUnquoted(char[] buffer, int offset) {
    String s = getValue();
    if (offset + s.length() > buffer.length) {
      return -1;
    }
    s.getChars(0, s.length(), buffer, offset);
    return s.length();
  }

  @Override
  public int writeUnquotedUTF8(OutputStream out) throws IOException {
    out.write(bytes, start, end - start);
    return end - start;
  }

  @Override
  public int putUnquotedUTF8(ByteBuffer buffer) {
    int length = end - start;
    if (length > buffer.remaining()) {
      return -1;
    }
    buffer.put(bytes, start, length);
    return length;
  }

  @Override
  public char[] asQuotedChars() {
    throw quoted();
  }

  @Override
  public byte[] asQuotedUTF8() {
    throw quoted();
  }

  @Override
  public int appendQuotedUTF8(byte[] buffer, int offset) {
    throw quoted();
  }

  @Override
  public int appendQuoted(char[] buffer, int offset) {
    throw quoted();
  }

  @Override
  public int writeQuotedUTF8(OutputStream out) {
    throw quoted();
  }

  @Override
  public int putQuotedUTF8(ByteBuffer buffer) {
    throw quoted();
  }

  private static UnsupportedOperationException quoted() {
    return new UnsupportedOperationException("a raw JSON value is never quoted");
  }
}
