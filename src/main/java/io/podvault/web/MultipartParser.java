package io.podvault.web;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A streaming multipart/form-data parser (RFC 7578, RFC 2046) for one request: bytes go in as they arrive,
 * parts come out as slices of those same bytes, so a backup of any size passes through without being
 * copied or held. Line ends are looked for with Netty's word-at-a-time byte search; a backup holds no raw
 * carriage return, so nearly every byte is passed over at that speed.
 */
final class MultipartParser {

  /** Receives the parts; any method may throw an {@link ApiException} to refuse the request. */
  interface Parts {

    /** A part begins; {@code file} tells a file field (with a file name) from a text field. */
    void begin(String name, boolean file);

    void data(Buffer bytes);

    void end();
  }

  private static final int MAX_HEADER_BYTES = 16 * 1024;
  private static final int MAX_PARTS = 16;
  private static final byte[] END_OF_HEADERS = {'\r', '\n', '\r', '\n'};
  private static final Pattern BOUNDARY = Pattern.compile("(?i)^multipart/form-data\\s*;(?:.*;)?\\s*boundary=(\"?)([^\";]{1,70})\\1\\s*(?:;.*)?$");
  private static final Pattern DISPOSITION_NAME = Pattern.compile("(?i);\\s*name=\"([^\"]*)\"");
  private static final Pattern DISPOSITION_FILENAME = Pattern.compile("(?i);\\s*filename\\*?=");

  private enum State { PREAMBLE, AFTER_DELIMITER, HEADERS, BODY, EPILOGUE }

  private final byte[] delimiter;
  private final Parts parts;
  private State state = State.PREAMBLE;
  /** Bytes kept back from the last chunk: the start of a delimiter, or unfinished part headers. */
  private Buffer pending;
  private int partsSeen;

  /** The boundary of a multipart/form-data content type, or null when it names none. */
  static String boundary(String contentType) {
    if (contentType == null) {
      return null;
    }
    Matcher m = BOUNDARY.matcher(contentType.trim());
    return m.matches() ? m.group(2) : null;
  }

  MultipartParser(String boundary, Parts parts) {
    this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
    this.parts = parts;
    // The first delimiter may open the body without the line break that precedes every other one.
    this.pending = Buffer.buffer().appendString("\r\n");
  }

  void feed(Buffer chunk) {
    Buffer data = pending.length() == 0 ? chunk : pending.appendBuffer(chunk);
    pending = Buffer.buffer();
    ByteBuf bytes = ((BufferInternal) data).getByteBuf();
    int at = 0;
    int end = data.length();
    while (at < end) {
      switch (state) {
        case PREAMBLE, BODY -> at = body(data, bytes, at, end);
        case AFTER_DELIMITER -> at = afterDelimiter(data, at, end);
        case HEADERS -> at = headers(data, bytes, at, end);
        case EPILOGUE -> at = end;
      }
    }
  }

  /** The request ended: it must have ended with the closing delimiter. */
  void end() {
    if (state != State.EPILOGUE) {
      throw ApiException.badRequest("the upload is cut short: the multipart body ends before its closing boundary");
    }
  }

  /** Passes part data on up to the next delimiter; returns where to go on. */
  private int body(Buffer data, ByteBuf bytes, int at, int end) {
    int from = at;
    while (true) {
      int candidate = bytes.indexOf(from, end, (byte) '\r');
      if (candidate < 0) {
        emit(data, at, end);
        return end;
      }
      int available = Math.min(end - candidate, delimiter.length);
      if (matchesDelimiter(bytes, candidate, available)) {
        emit(data, at, candidate);
        if (available < delimiter.length) {
          pending = data.getBuffer(candidate, end);
          return end;
        }
        if (state == State.BODY) {
          parts.end();
        }
        state = State.AFTER_DELIMITER;
        return candidate + delimiter.length;
      }
      from = candidate + 1;
    }
  }

  private boolean matchesDelimiter(ByteBuf bytes, int at, int length) {
    for (int i = 0; i < length; i++) {
      if (bytes.getByte(at + i) != delimiter[i]) {
        return false;
      }
    }
    return true;
  }

  private void emit(Buffer data, int from, int to) {
    if (state == State.BODY && to > from) {
      parts.data(data.slice(from, to));
    }
  }

  /** After a delimiter: "--" closes the body, a line break opens the next part's headers. */
  private int afterDelimiter(Buffer data, int at, int end) {
    if (end - at < 2) {
      pending = data.getBuffer(at, end);
      return end;
    }
    byte first = data.getByte(at);
    byte second = data.getByte(at + 1);
    if (first == '-' && second == '-') {
      state = State.EPILOGUE;
    } else if (first == '\r' && second == '\n') {
      if (++partsSeen > MAX_PARTS) {
        throw ApiException.badRequest("the upload has more than " + MAX_PARTS + " parts; send only backup_file and database_pass");
      }
      state = State.HEADERS;
    } else {
      throw ApiException.badRequest("the upload is not well-formed multipart: a boundary is followed by neither a line break nor '--'");
    }
    return at + 2;
  }

  private int headers(Buffer data, ByteBuf bytes, int at, int end) {
    int found = indexOf(bytes, END_OF_HEADERS, at, end);
    if (found < 0) {
      if (end - at > MAX_HEADER_BYTES) {
        throw ApiException.badRequest("a part of the upload has headers longer than " + MAX_HEADER_BYTES + " bytes");
      }
      pending = data.getBuffer(at, end);
      return end;
    }
    String headers = data.getString(at, found, "UTF-8");
    String disposition = null;
    for (String line : headers.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-disposition")) {
        disposition = line.substring(colon + 1);
      }
    }
    Matcher name = disposition == null ? null : DISPOSITION_NAME.matcher(disposition);
    if (name == null || !disposition.trim().toLowerCase(Locale.ROOT).startsWith("form-data") || !name.find()) {
      throw ApiException.badRequest("a part of the upload has no 'Content-Disposition: form-data' with a name");
    }
    state = State.BODY;
    parts.begin(name.group(1), DISPOSITION_FILENAME.matcher(disposition).find());
    return found + END_OF_HEADERS.length;
  }

  private static int indexOf(ByteBuf bytes, byte[] wanted, int from, int end) {
    for (int i = bytes.indexOf(from, end, wanted[0]); i >= 0 && i + wanted.length <= end;
         i = bytes.indexOf(i + 1, end, wanted[0])) {
      int k = 1;
      while (k < wanted.length && bytes.getByte(i + k) == wanted[k]) {
        k++;
      }
      if (k == wanted.length) {
        return i;
      }
    }
    return -1;
  }
}
