package io.troupe.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.function.LongFunction;

/**
 * A lean HTTP/1.1 load generator on one selector thread: a closed loop ({@link #run}: keep-alive
 * connections each sending its next request when the last response is complete) and an open loop
 * at a fixed rate ({@link #runAtRate}). The JDK's HttpClient, used at first, spent ~1.5 cores of the 2 to drive ~800 req/s
 * at a node that itself used 0.4 (BENCHMARKS.md), so it measured itself, not the edge. This one
 * writes pre-built request bytes and reads responses by their Content-Length (the edge's JSON
 * answers always carry one; a chunked answer counts as an error), which costs the client a few
 * microseconds per request.
 *
 * <p>Public for the edge's tests (OverloadIT), which check every answer through an {@link
 * ExchangeListener}; the benchmarks use the lean {@link Listener}.
 */
public final class NioHttpLoad {

  /** One finished exchange: status, or -1 for a connection or protocol failure. */
  public interface Listener {
    void completed(int status, long sentNanos, long doneNanos);
  }

  /**
   * One finished exchange in full, for a caller that checks each answer: costs a String of the
   * head and one of the body per answer, which {@link Listener} does not.
   */
  public interface ExchangeListener {
    void completed(Exchange exchange);
  }

  /**
   * One exchange. {@code request} is the n handed to the request function; {@code status} is the
   * answer's, -1 for a connection or protocol failure ({@code failure} says which), 0 for a request
   * of the open loop not sent because every connection was busy. {@code scheduledNanos} is when the
   * open loop meant to send it (the closed loop: when it was written); {@code writtenNanos} when
   * it was handed to the socket (-1 when not sent); {@code head} and {@code body} are null unless
   * there was an answer.
   */
  public record Exchange(long request, int status, long scheduledNanos, long writtenNanos, long doneNanos,
                         String head, String body, String failure) {
    /** The first value of header {@code name} (case-insensitive), or null. */
    public String header(String name) {
      if (head == null) {
        return null;
      }
      String wanted = "\r\n" + name.toLowerCase(java.util.Locale.ROOT) + ":";
      int at = head.toLowerCase(java.util.Locale.ROOT).indexOf(wanted);
      if (at < 0) {
        return null;
      }
      int eol = head.indexOf("\r\n", at + 2);
      return head.substring(at + wanted.length(), eol).trim();
    }
  }

  /** What a loop reports: an answer (status > 0), a failure (-1, with its cause) or a request not sent (0). */
  private interface Done {
    void done(Conn conn, long request, int status, long scheduledNanos, long doneNanos, String failure);
  }

  private static Done lean(Listener listener) {
    return (conn, request, status, scheduled, done, failure) -> listener.completed(status, scheduled, done);
  }

  private static Done full(ExchangeListener listener) {
    return (conn, request, status, scheduled, done, failure) -> {
      boolean answered = status > 0;
      listener.completed(new Exchange(request, status, scheduled, status == 0 ? -1 : conn.written, done,
          answered ? conn.head : null, answered ? conn.body() : null, failure));
    };
  }

  private NioHttpLoad() {}

  /** Request bytes for {@code method path} with the admin key and, when given, a JSON body. */
  public static byte[] request(String method, String path, int port, String token, String jsonBody) {
    byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
    String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer " + token
        + "\r\n" + (jsonBody == null ? "" : "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n")
        + "\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[h.length + body.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(body, 0, out, h.length, body.length);
    return out;
  }

  /** Runs until {@code endNanos}, then waits up to 10 s for answers still due. */
  public static void run(int port, int connections, LongFunction<byte[]> requests, long endNanos, Listener listener)
      throws IOException {
    run(port, connections, requests, endNanos, lean(listener));
  }

  /** {@link #run(int, int, LongFunction, long, Listener)}, reporting each exchange in full. */
  public static void run(int port, int connections, LongFunction<byte[]> requests, long endNanos,
                         ExchangeListener listener) throws IOException {
    run(port, connections, requests, endNanos, full(listener));
  }

  private static void run(int port, int connections, LongFunction<byte[]> requests, long endNanos, Done listener)
      throws IOException {
    long[] next = {0};
    int[] open = {connections};
    try (Selector selector = Selector.open()) {
      for (int i = 0; i < connections; i++) {
        new Conn().open(selector, port);
      }
      Steps loop = new Steps() {
        @Override public void connected(SelectionKey key, Conn conn) throws IOException {
          conn.request = next[0];
          conn.send(key, requests.apply(next[0]++));
        }

        @Override public void answered(SelectionKey key, Conn conn, int status) throws IOException {
          listener.done(conn, conn.request, status, conn.sent, System.nanoTime(), null);
          if (System.nanoTime() >= endNanos) {
            key.channel().close();
            open[0]--;
          } else {
            conn.request = next[0];
            conn.send(key, requests.apply(next[0]++));
          }
        }

        @Override public void failed(Conn conn, IOException e) throws IOException {
          listener.done(conn, conn.request, -1, conn.sent, System.nanoTime(), String.valueOf(e));
          open[0]--;
          if (System.nanoTime() < endNanos) {
            new Conn().open(selector, port);
            open[0]++;
          }
        }
      };
      long hardEnd = endNanos + 10_000_000_000L;
      while (open[0] > 0 && System.nanoTime() < hardEnd) {
        step(selector, 100, loop);
      }
      for (SelectionKey key : selector.keys()) {
        key.channel().close();
      }
    }
  }

  /**
   * Open loop: a request every {@code 1/rate} s from now until {@code endNanos}, each on an idle
   * connection of at most {@code maxConnections} (opened as needed); a request due when all are
   * busy is not sent and reported with status 0. The listener gets each request's scheduled time
   * as its send time, so a stall shows in the latency instead of slowing the load
   * (no coordinated omission).
   */
  public static void runAtRate(int port, int maxConnections, int rate, LongFunction<byte[]> requests, long endNanos,
                               Listener listener) throws IOException {
    runAtRate(port, maxConnections, rate, requests, endNanos, lean(listener));
  }

  /**
   * {@link #runAtRate(int, int, int, LongFunction, long, Listener)}, reporting each exchange in
   * full: with the time it was scheduled and the time it was actually written.
   */
  public static void runAtRate(int port, int maxConnections, int rate, LongFunction<byte[]> requests, long endNanos,
                               ExchangeListener listener) throws IOException {
    runAtRate(port, maxConnections, 0, rate, requests, start -> endNanos, start -> { }, full(listener));
  }

  /**
   * {@link #runAtRate(int, int, int, LongFunction, long, ExchangeListener)} for {@code durationNanos}
   * from the moment {@code preopened} connections are open and warm (each has had a health probe
   * answered), as a client's keep-alive pool: the node's cost of accepting and setting up a burst
   * of new connections is then not part of the rate's latency. {@code started} gets that moment.
   */
  public static void runAtRate(int port, int maxConnections, int preopened, int rate, LongFunction<byte[]> requests,
                               long durationNanos, java.util.function.LongConsumer started, ExchangeListener listener)
      throws IOException {
    runAtRate(port, maxConnections, preopened, rate, requests, start -> start + durationNanos, started,
        full(listener));
  }

  private static void runAtRate(int port, int maxConnections, int rate, LongFunction<byte[]> requests, long endNanos,
                                Done listener) throws IOException {
    runAtRate(port, maxConnections, 0, rate, requests, start -> endNanos, start -> { }, listener);
  }

  /** {@code end} gives the end time from the start time (taken after the warm-up of {@code preopened}). */
  private static void runAtRate(int port, int maxConnections, int preopened, int rate, LongFunction<byte[]> requests,
                                java.util.function.LongUnaryOperator end, java.util.function.LongConsumer started,
                                Done listener) throws IOException {
    long period = 1_000_000_000L / rate;
    long n = 0;
    java.util.ArrayDeque<SelectionKey> idle = new java.util.ArrayDeque<>();
    int[] opened = {0};
    int[] busy = {0};
    Steps loop = new Steps() {
      @Override public void connected(SelectionKey key, Conn conn) {
        // Connections are opened blocking (openBlocking): none is ever pending.
      }

      @Override public void answered(SelectionKey key, Conn conn, int status) {
        listener.done(conn, conn.request, status, conn.sent, System.nanoTime(), null);
        busy[0]--;
        key.interestOps(0);
        idle.addLast(key);
      }

      @Override public void failed(Conn conn, IOException e) {
        listener.done(conn, conn.request, -1, conn.sent, System.nanoTime(), String.valueOf(e));
        busy[0]--;
        opened[0]--;
      }
    };
    try (Selector selector = Selector.open()) {
      warm(selector, port, Math.min(preopened, maxConnections), idle);
      opened[0] = idle.size();
      long start = System.nanoTime();
      long endNanos = end.applyAsLong(start);
      started.accept(start);
      long hardEnd = endNanos + 10_000_000_000L;
      while (System.nanoTime() < hardEnd && (System.nanoTime() < endNanos || busy[0] > 0)) {
        long now = System.nanoTime();
        while (start + n * period <= now && start + n * period < endNanos) {
          long scheduled = start + n * period;
          long index = n;
          byte[] request = requests.apply(n++);
          SelectionKey key = idle.pollFirst();
          if (key == null && opened[0] < maxConnections) {
            key = new Conn().openBlocking(selector, port);
            opened[0]++;
          }
          if (key == null) {
            listener.done(null, index, 0, scheduled, now, "not sent: " + maxConnections + " connections busy");
            continue;
          }
          Conn conn = (Conn) key.attachment();
          conn.request = index;
          try {
            conn.send(key, request);
            conn.sent = scheduled;
            busy[0]++;
          } catch (IOException e) {
            listener.done(conn, index, -1, scheduled, System.nanoTime(), String.valueOf(e));
            key.channel().close();
            opened[0]--;
          }
        }
        long wait = Math.max(1, (start + n * period - System.nanoTime()) / 1_000_000);
        step(selector, Math.min(wait, 100), loop);
      }
      for (SelectionKey key : selector.keys()) {
        key.channel().close();
      }
    }
  }

  /**
   * Opens {@code count} connections and sends a health probe on each, waiting (up to 30 s) until
   * every one is answered: then the node has accepted them and set each one up, and they wait in
   * {@code idle}. A connection whose probe failed is left out.
   */
  private static void warm(Selector selector, int port, int count, java.util.ArrayDeque<SelectionKey> idle)
      throws IOException {
    byte[] probe = ("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    int[] waiting = {0};
    Steps warming = new Steps() {
      @Override public void connected(SelectionKey key, Conn conn) {
        // opened blocking
      }

      @Override public void answered(SelectionKey key, Conn conn, int status) {
        waiting[0]--;
        key.interestOps(0);
        idle.addLast(key);
      }

      @Override public void failed(Conn conn, IOException e) {
        waiting[0]--;
      }
    };
    for (int i = 0; i < count; i++) {
      SelectionKey key = new Conn().openBlocking(selector, port);
      ((Conn) key.attachment()).send(key, probe);
      waiting[0]++;
    }
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (waiting[0] > 0 && System.nanoTime() < deadline) {
      step(selector, 100, warming);
    }
  }

  /** What a loop does when a connection is up, when its answer is complete, and when it failed (already closed). */
  private interface Steps {
    void connected(SelectionKey key, Conn conn) throws IOException;

    void answered(SelectionKey key, Conn conn, int status) throws IOException;

    void failed(Conn conn, IOException e) throws IOException;
  }

  /** Waits up to {@code timeoutMillis} for ready connections and moves each one on: connect, write, read. */
  private static void step(Selector selector, long timeoutMillis, Steps loop) throws IOException {
    selector.select(timeoutMillis);
    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
    while (keys.hasNext()) {
      SelectionKey key = keys.next();
      keys.remove();
      Conn conn = (Conn) key.attachment();
      try {
        if (key.isConnectable()) {
          ((SocketChannel) key.channel()).finishConnect();
          loop.connected(key, conn);
        } else if (key.isWritable()) {
          conn.flush(key);
        } else if (key.isReadable()) {
          int status = conn.read(key);
          if (status != 0) {
            loop.answered(key, conn, status);
          }
        }
      } catch (IOException e) {
        key.channel().close();
        loop.failed(conn, e);
      }
    }
  }

  /** One connection's state: the request being written, the response being read. */
  private static final class Conn {
    private ByteBuffer out;
    // Grows to the largest answer seen (a page of messages is a few KiB; a fixed 1 MiB per
    // connection took 256 MiB of the benchmark JVM's heap at 256 connections).
    private ByteBuffer in = ByteBuffer.allocate(16 << 10);
    // When the request was written (the open loop: replaced by when it was scheduled).
    private long sent;
    // When the request was handed to the socket, whichever loop.
    private long written;
    // The n of the request on this connection, and the head and body bounds of its complete answer.
    private long request;
    private String head;
    private int bodyStart;
    private int bodyLength;

    void open(Selector selector, int port) throws IOException {
      SocketChannel ch = SocketChannel.open();
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.connect(new InetSocketAddress("127.0.0.1", port));
      ch.register(selector, SelectionKey.OP_CONNECT, this);
    }

    /** Connects before returning (loopback: at once), for the open loop's connections opened on demand. */
    SelectionKey openBlocking(Selector selector, int port) throws IOException {
      SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.configureBlocking(false);
      return ch.register(selector, 0, this);
    }

    void send(SelectionKey key, byte[] request) throws IOException {
      out = ByteBuffer.wrap(request);
      in.clear();
      sent = System.nanoTime();
      written = sent;
      flush(key);
    }

    void flush(SelectionKey key) throws IOException {
      ((SocketChannel) key.channel()).write(out);
      key.interestOps(out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    /** The status once the whole response is in, else 0. */
    int read(SelectionKey key) throws IOException {
      if (!in.hasRemaining()) {
        in = ByteBuffer.allocate(in.capacity() * 2).put(in.flip());
      }
      if (((SocketChannel) key.channel()).read(in) < 0) {
        throw new IOException("connection closed by the server");
      }
      byte[] a = in.array();
      int len = in.position();
      int headEnd = -1;
      for (int i = 3; i < len; i++) {
        if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
          headEnd = i + 1;
          break;
        }
      }
      if (headEnd < 0) {
        return 0;
      }
      String head = new String(a, 0, headEnd, StandardCharsets.US_ASCII);
      int status = Integer.parseInt(head.substring(9, 12));
      int cl = head.toLowerCase(java.util.Locale.ROOT).indexOf("\r\ncontent-length:");
      if (cl < 0) {
        throw new IOException("response without Content-Length");
      }
      int eol = head.indexOf("\r\n", cl + 2);
      int length = Integer.parseInt(head.substring(cl + 17, eol).trim());
      if (len < headEnd + length) {
        return 0;
      }
      this.head = head;
      bodyStart = headEnd;
      bodyLength = length;
      return status;
    }

    /** The body of the answer just completed (valid until the next request on this connection). */
    String body() {
      return new String(in.array(), bodyStart, bodyLength, StandardCharsets.UTF_8);
    }
  }
}
