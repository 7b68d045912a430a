package org.buildswarm.deploy.impl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One JSON object per log record, on one line, for log shippers (Loki, Vector, Fluent Bit…):
 * {@code time} (ISO-8601, UTC), {@code level}, {@code logger}, {@code message}, {@code thread}, the
 * node's {@code role}, and {@code error} with the stack trace when there is one.
 */
public final class JsonLogFormatter extends Formatter {
  private static final JsonFactory JSON = new JsonFactory();
  private final String role;

  public JsonLogFormatter(String role) {
    this.role = role;
  }

  @Override
  public String format(LogRecord record) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("time", record.getInstant().toString());
      json.writeStringField("level", record.getLevel().getName());
      json.writeStringField("logger", record.getLoggerName());
      json.writeStringField("message", formatMessage(record));
      json.writeStringField("thread", threadName(record));
      if (role != null) {
        json.writeStringField("role", role);
      }
      if (record.getThrown() != null) {
        StringWriter trace = new StringWriter();
        record.getThrown().printStackTrace(new PrintWriter(trace));
        json.writeStringField("error", trace.toString());
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // The generator escapes newlines inside strings: one record, one line.
    return out.append('\n').toString();
  }

  private static String threadName(LogRecord record) {
    long id = record.getLongThreadID();
    if (Thread.currentThread().getId() == id) {
      return Thread.currentThread().getName();
    }
    return "thread-" + id;
  }
}
