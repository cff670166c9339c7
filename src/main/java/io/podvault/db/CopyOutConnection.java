package io.podvault.db;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.StringPreparation;
import com.ongres.scram.common.exception.ScramException;
import io.podvault.config.DbCoordinates;
import io.podvault.config.SslMode;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A PostgreSQL connection that speaks just enough of the frontend/backend protocol (version 3.0) to run
 * simple statements and stream {@code COPY ... TO STDOUT}, for the backup. pgjdbc hands over each row of a
 * COPY as a new array, read through two buffers; here rows go from one large read buffer straight to the
 * output, which leaves the dump thread one copy per byte and a few comparisons per row.
 *
 * <p>It honours {@code sslmode} and {@code sslrootcert} like podvault's other clients: under every mode but
 * {@code disable} it first asks the server for TLS (PostgreSQL's SSLRequest) and then reads and writes through the
 * JDK's {@link SSLSocket}, whose streams it uses as it uses a plain socket's; {@link DatabaseTls} gives the trust
 * (the root certificate, or none, as libpq), and under {@code verify-full} the JDK checks that the certificate names
 * the host. It signs in with trust, md5, SCRAM-SHA-256 or password authentication, the last over TLS only, since
 * that sends the password as it is. Not thread-safe, except {@link #close}, which may be called from another
 * thread to stop a running COPY.
 */
public final class CopyOutConnection implements AutoCloseable {

  private static final int PROTOCOL_3_0 = 196_608;
  /** SSLRequest: its length (8), then the request code 1234 5679. */
  private static final byte[] SSL_REQUEST = {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f};
  private static final int BUFFER_BYTES = 256 * 1024;
  /** Any message but a row is small; a larger length means a broken stream, not a message to buffer. */
  private static final int MAX_CONTROL_MESSAGE_BYTES = 16 * 1024 * 1024;
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
  private static final String PROTOCOL_VIOLATION = "08P01";

  private final Socket socket;
  private final boolean encrypted;
  private final InputStream in;
  private final OutputStream out;
  private final byte[] buffer = new byte[BUFFER_BYTES];
  private int position;
  private int limit;

  private CopyOutConnection(Socket socket) throws IOException {
    this.socket = socket;
    this.encrypted = socket instanceof SSLSocket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /**
   * Connects and signs in as the coordinates' role, with the session settings given; {@code tls} makes the
   * encrypted sockets (null under {@code disable}). {@link Connections} is the one caller.
   */
  static CopyOutConnection open(DbCoordinates db, Map<String, String> session, SSLSocketFactory tls) throws SQLException {
    Socket plain = new Socket();
    try {
      plain.setTcpNoDelay(true);
      plain.setKeepAlive(true);
      plain.connect(new InetSocketAddress(db.host(), db.port()), CONNECT_TIMEOUT_MILLIS);
      CopyOutConnection connection = new CopyOutConnection(tls == null ? plain : negotiateTls(plain, db, tls));
      connection.startUp(db.user(), db.database(), db.password(), session);
      return connection;
    } catch (IOException e) {
      closeQuietly(plain);
      throw new SQLException("the database connection failed: " + e.getMessage(), "08006", e);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(plain);
      throw e;
    }
  }

  /**
   * Asks for TLS and returns the socket to speak through: encrypted when the server agrees, the plain one when it
   * declines and the mode allows that ({@code prefer}). The one-byte answer is read straight from the socket, so
   * nothing the server sends after it can be taken for part of the encrypted stream.
   */
  private static Socket negotiateTls(Socket plain, DbCoordinates db, SSLSocketFactory tls) throws IOException, SQLException {
    plain.getOutputStream().write(SSL_REQUEST);
    plain.getOutputStream().flush();
    int answer = plain.getInputStream().read();
    if (answer == 'N') {
      if (db.sslMode().requiresTls()) {
        throw new SQLException("the database server does not offer TLS, and db_url asks for sslmode=" + db.sslMode().text()
          + ": turn ssl on in the server's postgresql.conf, or change sslmode", "08004");
      }
      return plain;
    }
    if (answer != 'S') {
      throw new IOException("the database answered the request for TLS with " + (answer < 0 ? "nothing" : "byte " + answer)
        + " instead of S or N; is this a PostgreSQL server?");
    }
    SSLSocket socket = (SSLSocket) tls.createSocket(plain, db.host(), db.port(), true);
    if (db.sslMode() == SslMode.VERIFY_FULL) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(parameters);
    }
    socket.startHandshake();
    return socket;
  }

  /** Runs statements that return no rows worth reading (rows, if any, are skipped). */
  public void execute(String sql) throws SQLException, IOException {
    sendQuery(sql);
    readResults(null);
  }

  /**
   * Sends statements without waiting for their results, so the caller can work meanwhile (the server
   * works on them at the same time); {@link #readNumbers} then reads the results.
   */
  public void submit(String sql) throws IOException {
    sendQuery(sql);
  }

  /** The first column of every row the submitted statements returned, as numbers, in order. */
  public List<Long> readNumbers() throws SQLException, IOException {
    List<Long> numbers = new ArrayList<>();
    readResults(numbers);
    return numbers;
  }

  /** Reads results up to the server's next ReadyForQuery; {@code numbers} takes the rows, when given. */
  private void readResults(List<Long> numbers) throws SQLException, IOException {
    SQLException error = null;
    for (;;) {
      char type = readType();
      int length = readLength();
      switch (type) {
        case 'D' -> {
          if (numbers == null) {
            skip(length);
          } else {
            numbers.add(firstColumnAsNumber(readBody(length)));
          }
        }
        case 'E' -> error = reportLater(error(readBody(length)));
        case 'Z' -> {
          readyForQuery(length, error);
          return;
        }
        case 'C', 'I', 'T', 'N', 'S', 'A' -> skip(length);
        default -> throw unexpected(type);
      }
    }
  }

  /**
   * An error the server reported while running statements, to throw once it is ready for the next query;
   * a fatal one is thrown at once, since the server closes the connection after it.
   */
  private static SQLException reportLater(SQLException error) throws SQLException {
    if (isFatal(error)) {
      throw error;
    }
    return error;
  }

  /** Reads the ReadyForQuery that ends a query's results, then throws the error it reported, if any. */
  private void readyForQuery(int length, SQLException error) throws SQLException, IOException {
    skip(length);
    if (error != null) {
      throw error;
    }
  }

  /** A DataRow's first column: its column count (2 bytes), then the first value's length and text. */
  private static long firstColumnAsNumber(byte[] row) throws SQLException {
    int length = readInt(row, 2);
    if (length < 0) {
      throw new SQLException("the database returned NULL where a number was due");
    }
    return Long.parseLong(new String(row, 6, length, StandardCharsets.US_ASCII));
  }

  /**
   * Runs one {@code COPY ... TO STDOUT} and writes its rows to {@code rows} as the server sends them.
   * {@code progress} hears the number of rows so far every {@code every} rows.
   *
   * @return the number of rows copied
   */
  public long copyOut(String sql, OutputStream rows, long every, LongConsumer progress) throws SQLException, IOException {
    sendQuery(sql);
    long count = 0;
    SQLException error = null;
    for (;;) {
      char type = readType();
      int length = readLength();
      switch (type) {
        case 'd' -> {
          copyBody(length, rows);
          if (++count % every == 0) {
            progress.accept(count);
          }
        }
        case 'E' -> error = reportLater(error(readBody(length)));
        case 'Z' -> {
          readyForQuery(length, error);
          return count;
        }
        case 'H', 'c', 'C', 'N', 'S', 'A' -> skip(length);
        default -> throw unexpected(type);
      }
    }
  }

  /** Ends the session; safe from any thread, and a running {@link #copyOut} then fails. */
  @Override
  public void close() {
    if (!socket.isClosed()) {
      try {
        out.write(new byte[] {'X', 0, 0, 0, 4});
        out.flush();
      } catch (IOException ignored) {
        // the server has gone already; closing the socket is all that is left
      }
      closeQuietly(socket);
    }
  }

  // --- start-up and authentication ----------------------------------------------------------------

  private void startUp(String user, String database, String password, Map<String, String> session)
    throws SQLException, IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeInt(body, PROTOCOL_3_0);
    cstring(body, "user");
    cstring(body, user);
    cstring(body, "database");
    cstring(body, database);
    for (Map.Entry<String, String> setting : session.entrySet()) {
      cstring(body, setting.getKey());
      cstring(body, setting.getValue());
    }
    body.write(0);
    sendStartUp(body.toByteArray());

    ScramClient scram = null;
    for (;;) {
      char type = readType();
      int length = readLength();
      switch (type) {
        case 'R' -> scram = authenticate(readBody(length), user, password, scram);
        case 'E' -> throw error(readBody(length));
        case 'Z' -> {
          skip(length);
          return;
        }
        case 'S', 'K', 'N' -> skip(length);
        default -> throw unexpected(type);
      }
    }
  }

  /** Answers one authentication request; returns the SCRAM exchange in progress, if any. */
  private ScramClient authenticate(byte[] request, String user, String password, ScramClient scram)
    throws SQLException, IOException {
    int code = readInt(request, 0);
    if (password == null && code != 0) {
      throw new SQLException("the database asks for a password and none was given", "28P01");
    }
    switch (code) {
      case 0 -> {
        return null; // signed in
      }
      case 3 -> sendCleartext(password);
      case 5 -> send('p', cstring(md5Password(user, password, request)));
      case 10 -> {
        ScramClient client = ScramClient.builder()
          .advertisedMechanisms(mechanisms(request))
          .username(user)
          .password(password.toCharArray())
          .stringPreparation(StringPreparation.POSTGRESQL_PREPARATION)
          .build();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        cstring(body, client.getScramMechanism().getName());
        byte[] first = client.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8);
        writeInt(body, first.length);
        body.write(first);
        send('p', body.toByteArray());
        return client;
      }
      case 11, 12 -> {
        if (scram == null) {
          throw new SQLException("the database sent a SCRAM message out of turn", PROTOCOL_VIOLATION);
        }
        String message = new String(request, 4, request.length - 4, StandardCharsets.UTF_8);
        try {
          if (code == 11) {
            scram.serverFirstMessage(message);
            send('p', scram.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8));
          } else {
            scram.serverFinalMessage(message); // proves that the server knows the password too
          }
        } catch (ScramException e) {
          throw new SQLException("SCRAM authentication with the database failed: " + e.getMessage(), "28000", e);
        }
        return scram;
      }
      default -> throw new SQLException("the database asks for an authentication method podvault does not support "
        + "(code " + code + "); use scram-sha-256, md5, password or trust in pg_hba.conf", "28000");
    }
    return scram;
  }

  /** The password as it is, which only TLS keeps from anyone on the network between here and the server. */
  private void sendCleartext(String password) throws SQLException, IOException {
    if (!encrypted) {
      throw new SQLException("the database asks for the password in clear text (password authentication in "
        + "pg_hba.conf) on a connection without TLS, where anyone on the network could read it, so podvault does "
        + "not send it: use scram-sha-256 in pg_hba.conf, or TLS (sslmode=require or verify-full in db_url)", "28000");
    }
    send('p', cstring(password));
  }

  private static List<String> mechanisms(byte[] request) {
    List<String> names = new ArrayList<>();
    int start = 4;
    for (int i = start; i < request.length && request[i] != 0; i = start) {
      int end = i;
      while (request[end] != 0) {
        end++;
      }
      names.add(new String(request, i, end - i, StandardCharsets.UTF_8));
      start = end + 1;
    }
    return names;
  }

  /** {@code "md5" || md5hex(md5hex(password || user) || salt)}, as the server computes it. */
  private static String md5Password(String user, String password, byte[] request) {
    try {
      HexFormat hex = HexFormat.of();
      MessageDigest md5 = MessageDigest.getInstance("MD5");
      md5.update(password.getBytes(StandardCharsets.UTF_8));
      String inner = hex.formatHex(md5.digest(user.getBytes(StandardCharsets.UTF_8)));
      md5.update(inner.getBytes(StandardCharsets.US_ASCII));
      md5.update(request, 4, 4);
      return "md5" + hex.formatHex(md5.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is part of every JDK", e);
    }
  }

  // --- messages ---------------------------------------------------------------------------------------

  private void sendQuery(String sql) throws IOException {
    send('Q', cstring(sql));
  }

  private void send(char type, byte[] body) throws IOException {
    send(new byte[] {(byte) type}, body);
  }

  /** The start-up message alone has no type byte. */
  private void sendStartUp(byte[] body) throws IOException {
    send(new byte[0], body);
  }

  private void send(byte[] type, byte[] body) throws IOException {
    ByteArrayOutputStream message = new ByteArrayOutputStream(body.length + 5);
    message.writeBytes(type);
    writeInt(message, body.length + 4);
    message.writeBytes(body);
    message.writeTo(out);
    out.flush();
  }

  private char readType() throws IOException {
    require(1);
    return (char) (buffer[position++] & 0xff);
  }

  /** The length of the message body that follows. */
  private int readLength() throws IOException {
    require(4);
    int length = readInt(buffer, position) - 4;
    position += 4;
    if (length < 0) {
      throw new IOException("the database sent a message with a negative length; the connection is out of step");
    }
    return length;
  }

  private byte[] readBody(int length) throws IOException {
    if (length > MAX_CONTROL_MESSAGE_BYTES) {
      throw new IOException("the database sent a " + length + "-byte message where a short one was due");
    }
    byte[] body = new byte[length];
    int done = 0;
    while (done < length) {
      if (position == limit) {
        fill();
      }
      int n = Math.min(length - done, limit - position);
      System.arraycopy(buffer, position, body, done, n);
      position += n;
      done += n;
    }
    return body;
  }

  /** Passes a row on as it arrives; a row larger than the buffer goes in several pieces. */
  private void copyBody(int length, OutputStream rows) throws IOException {
    while (length > 0) {
      if (position == limit) {
        fill();
      }
      int n = Math.min(length, limit - position);
      rows.write(buffer, position, n);
      position += n;
      length -= n;
    }
  }

  private void skip(int length) throws IOException {
    while (length > 0) {
      if (position == limit) {
        fill();
      }
      int n = Math.min(length, limit - position);
      position += n;
      length -= n;
    }
  }

  /** Makes {@code count} bytes (at most a message header) available from {@code position}. */
  private void require(int count) throws IOException {
    while (limit - position < count) {
      if (position == limit) {
        fill();
      } else {
        System.arraycopy(buffer, position, buffer, 0, limit - position);
        limit -= position;
        position = 0;
        readMore();
      }
    }
  }

  /** Refills the empty buffer with whatever the socket holds. */
  private void fill() throws IOException {
    position = 0;
    limit = 0;
    readMore();
  }

  private void readMore() throws IOException {
    int n = in.read(buffer, limit, buffer.length - limit);
    if (n < 0) {
      throw new EOFException("the database closed the connection");
    }
    limit += n;
  }

  private static SQLException error(byte[] body) {
    String severity = null;
    String state = null;
    String message = null;
    String detail = null;
    int i = 0;
    while (i < body.length && body[i] != 0) {
      byte field = body[i++];
      int end = i;
      while (end < body.length && body[end] != 0) {
        end++;
      }
      String value = new String(body, i, end - i, StandardCharsets.UTF_8);
      switch (field) {
        case 'V' -> severity = value;
        case 'S' -> severity = severity == null ? value : severity;
        case 'C' -> state = value;
        case 'M' -> message = value;
        case 'D' -> detail = value;
        default -> {
          // other fields (hint, position, context...) add nothing an administrator needs here
        }
      }
      i = end + 1;
    }
    String text = (message == null ? "the database reported an error" : message) + (detail == null ? "" : " (" + detail + ")");
    return new ServerError(text, state, severity);
  }

  private static boolean isFatal(SQLException error) {
    return error instanceof ServerError e && ("FATAL".equals(e.severity) || "PANIC".equals(e.severity));
  }

  private static IOException unexpected(char type) {
    return new IOException("the database sent an unexpected message '" + type + "'; the connection is out of step");
  }

  /** An error the server reported, with its severity. */
  private static final class ServerError extends SQLException {

    private final String severity;

    ServerError(String message, String state, String severity) {
      super(message, state);
      this.severity = severity;
    }
  }

  // --- encoding ---------------------------------------------------------------------------------------

  private static int readInt(byte[] bytes, int at) {
    return (bytes[at] & 0xff) << 24 | (bytes[at + 1] & 0xff) << 16 | (bytes[at + 2] & 0xff) << 8 | bytes[at + 3] & 0xff;
  }

  private static void writeInt(ByteArrayOutputStream out, int value) {
    out.write(value >>> 24);
    out.write(value >>> 16);
    out.write(value >>> 8);
    out.write(value);
  }

  private static byte[] cstring(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 1);
    cstring(out, text);
    return out.toByteArray();
  }

  private static void cstring(ByteArrayOutputStream out, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) {
      if (b == 0) {
        throw new IllegalArgumentException("a protocol string cannot hold a NUL byte");
      }
    }
    out.writeBytes(bytes);
    out.write(0);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
