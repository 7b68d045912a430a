package org.buildswarm.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Stands in for a forge on loopback: GitHub's statuses endpoint under {@code /github}, Gitea's
 * under {@code /gitea/api/v1}, and anything else (a notification receiver). Records every request;
 * can fail the first few under a prefix, as a forge that is briefly away does.
 */
final class ForgeRecorder implements AutoCloseable {
  record Request(String path, Map<String, String> headers, String body) {
    JsonNode json() {
      try {
        return new ObjectMapper().readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  private final HttpServer server;
  private final List<Request> received = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();

  ForgeRecorder() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, String.join(",", values)));
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      int status = 201;
      for (Map.Entry<String, AtomicInteger> failing : failures.entrySet()) {
        if (path.startsWith(failing.getKey()) && failing.getValue().getAndDecrement() > 0) {
          status = 500;
        }
      }
      if (status == 201) {
        received.add(new Request(path, headers, body));
      }
      byte[] answer = (status == 201 ? "{\"id\": 1}" : "{\"message\": \"try later\"}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("content-type", "application/json");
      exchange.sendResponseHeaders(status, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next {@code count} requests under {@code prefix} answer 500 (and are not recorded). */
  void failFirst(String prefix, int count) {
    failures.put(prefix, new AtomicInteger(count));
  }

  List<Request> received(Predicate<Request> which) {
    return received.stream().filter(which).toList();
  }

  /** Waits until a recorded request matches. */
  Request await(Predicate<Request> which, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (Request request : received) {
        if (which.test(request)) {
          return request;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no such request within " + timeout + "; received: " + received);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
