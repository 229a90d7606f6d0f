package io.troupe.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * HTTP/1.1 written by hand on a loopback socket, for what a well-behaved client will not send:
 * malformed headers, control characters, a body that stops arriving. One request per connection.
 */
final class RawHttp {

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  /** The status code and the whole raw answer (headers and body) as ISO-8859-1 text. */
  record Answer(int status, String text, long millis) {
    String body() {
      int end = text.indexOf("\r\n\r\n");
      return end < 0 ? "" : text.substring(end + 4);
    }

    boolean hasHeader(String nameAndValuePrefix) {
      String head = text.substring(0, Math.max(0, text.indexOf("\r\n\r\n"))).toLowerCase();
      return head.contains("\r\n" + nameAndValuePrefix.toLowerCase());
    }
  }

  private RawHttp() {}

  /**
   * Sends {@code head} (request line and headers, without the blank line) and {@code body}, then
   * reads the answer. A body shorter than the Content-Length the head announces is a client that
   * stopped sending: the connection stays open, waiting for the server to give up.
   */
  static Answer exchange(int port, String head, byte[] body) {
    return exchangeFrom("127.0.0.1", port, head, body);
  }

  /** As {@link #exchange}, from another loopback address (all of 127.0.0.0/8 is this machine's on Linux). */
  static Answer exchangeFrom(String localAddress, int port, String head, byte[] body) {
    long start = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(localAddress, 0));
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write((head + "\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      String text = readAnswer(socket.getInputStream());
      int status = Integer.parseInt(text.substring(9, 12));
      return new Answer(status, text, (System.nanoTime() - start) / 1_000_000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads until the server closes or the announced body is complete. */
  private static String readAnswer(InputStream in) throws IOException {
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    while (true) {
      int n;
      try {
        n = in.read(buffer);
      } catch (SocketTimeoutException e) {
        throw new AssertionError("no complete answer within " + READ_TIMEOUT + "; got: " + read, e);
      }
      if (n < 0) {
        break;
      }
      read.write(buffer, 0, n);
      if (complete(read.toString(StandardCharsets.ISO_8859_1))) {
        break;
      }
    }
    return read.toString(StandardCharsets.ISO_8859_1);
  }

  private static boolean complete(String text) {
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    for (String line : text.substring(0, end).split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        return text.length() - end - 4 >= Integer.parseInt(line.substring(15).trim());
      }
    }
    return false;
  }
}
