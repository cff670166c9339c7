package io.podvault.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The streaming multipart parser of the restore upload")
class MultipartParserTest {

  /** What the parser gave: "name|file" followed by the part's bytes. */
  private static final class Collected implements MultipartParser.Parts {

    final List<String> parts = new ArrayList<>();
    private Buffer current;
    private String header;

    @Override
    public void begin(String name, boolean file) {
      header = name + "|" + file;
      current = Buffer.buffer();
    }

    @Override
    public void data(Buffer bytes) {
      current.appendBuffer(bytes);
    }

    @Override
    public void end() {
      parts.add(header + ":" + current.toString(StandardCharsets.ISO_8859_1));
    }
  }

  private static byte[] body(String boundary, String fileContent) {
    return ("preamble to ignore\r\n--" + boundary + "\r\n"
      + "Content-Disposition: form-data; name=\"database_pass\"\r\n\r\n"
      + "secret\r\n--" + boundary + "\r\n"
      + "Content-Disposition: form-data; name=\"backup_file\"; filename=\"server_backup.sql\"\r\n"
      + "Content-Type: application/sql\r\n\r\n"
      + fileContent + "\r\n--" + boundary + "--\r\nepilogue").getBytes(StandardCharsets.ISO_8859_1);
  }

  private static List<String> parse(String boundary, byte[] body, int[] cuts) {
    Collected collected = new Collected();
    MultipartParser parser = new MultipartParser(boundary, collected);
    int from = 0;
    for (int cut : cuts) {
      parser.feed(Buffer.buffer(java.util.Arrays.copyOfRange(body, from, cut)));
      from = cut;
    }
    parser.feed(Buffer.buffer(java.util.Arrays.copyOfRange(body, from, body.length)));
    parser.end();
    return collected.parts;
  }

  @Test
  @DisplayName("gives the same parts wherever the body is split into two chunks, even inside a boundary")
  void everySplit() {
    // Carriage returns, dashes and a near-boundary inside the file: none of them may end the part.
    String file = "-- podvault\nrow\twith\r\ncr\r\n--bound\r\n--boundar\n\r\r\n-\\.\n";
    byte[] body = body("boundary", file);
    List<String> expected = List.of("database_pass|false:secret", "backup_file|true:" + file);
    for (int cut = 0; cut <= body.length; cut++) {
      assertThat(parse("boundary", body, new int[] {cut})).as("split at %d", cut).isEqualTo(expected);
    }
  }

  @Test
  @DisplayName("gives the same parts for a body fed in random small chunks")
  void randomChunks() {
    Random random = new Random(20261126);
    StringBuilder file = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      file.append((char) (random.nextInt(2) == 0 ? '\r' : 32 + random.nextInt(95)));
    }
    byte[] body = body("x-7Yq", file.toString());
    for (int round = 0; round < 50; round++) {
      List<Integer> cuts = new ArrayList<>();
      for (int at = random.nextInt(40); at < body.length; at += 1 + random.nextInt(60)) {
        cuts.add(at);
      }
      assertThat(parse("x-7Yq", body, cuts.stream().mapToInt(Integer::intValue).toArray()))
        .containsExactly("database_pass|false:secret", "backup_file|true:" + file);
    }
  }

  @Test
  @DisplayName("reads the boundary from the content type, quoted or not, and refuses one without it")
  void boundaries() {
    assertThat(MultipartParser.boundary("multipart/form-data; boundary=abc")).isEqualTo("abc");
    assertThat(MultipartParser.boundary("multipart/form-data; charset=utf-8; boundary=\"a b:c\"")).isEqualTo("a b:c");
    assertThat(MultipartParser.boundary("multipart/form-data")).isNull();
    assertThat(MultipartParser.boundary("text/plain; boundary=abc")).isNull();
  }

  @Test
  @DisplayName("refuses a body cut before its closing boundary, too many parts and endless part headers")
  void refusals() {
    byte[] body = body("b", "content");
    assertThatThrownBy(() -> parse("b", java.util.Arrays.copyOf(body, body.length - 20), new int[0]))
      .isInstanceOf(ApiException.class).hasMessageContaining("cut short");
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      many.append("--b\r\nContent-Disposition: form-data; name=\"f").append(i).append("\"\r\n\r\nv\r\n");
    }
    assertThatThrownBy(() -> parse("b", (many + "--b--").getBytes(StandardCharsets.US_ASCII), new int[0]))
      .isInstanceOf(ApiException.class).hasMessageContaining("more than 16 parts");
    byte[] endless = ("--b\r\nX-Long: " + "h".repeat(20_000)).getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> parse("b", endless, new int[] {100, 10_000}))
      .isInstanceOf(ApiException.class).hasMessageContaining("headers longer");
    assertThatThrownBy(() -> parse("b", "--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--".getBytes(StandardCharsets.US_ASCII),
      new int[0])).isInstanceOf(ApiException.class).hasMessageContaining("Content-Disposition");
  }
}
