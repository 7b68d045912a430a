package org.buildswarm.deploy.impl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class JsonLogFormatterTest {
  @Test
  void aRecordWithNewlinesQuotesAndAStackTraceIsOneJsonObjectOnOneLine() throws Exception {
    LogRecord record = new LogRecord(Level.WARNING, "job {0} said \"no\"\nand then {1}");
    record.setParameters(new Object[] {7, "left"});
    record.setLoggerName("org.buildswarm.drone.DroneVerticle");
    record.setThrown(new IllegalStateException("broken\tpipe"));
    String line = new JsonLogFormatter("drone").format(record);
    assertThat(line).endsWith("\n");
    assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("WARNING");
    assertThat(json.path("logger").asText()).isEqualTo("org.buildswarm.drone.DroneVerticle");
    assertThat(json.path("message").asText()).isEqualTo("job 7 said \"no\"\nand then left");
    assertThat(json.path("role").asText()).isEqualTo("drone");
    assertThat(json.path("thread").asText()).isEqualTo(Thread.currentThread().getName());
    assertThat(java.time.Instant.parse(json.path("time").asText())).isEqualTo(record.getInstant());
    assertThat(json.path("error").asText()).startsWith("java.lang.IllegalStateException: broken\tpipe")
        .contains("JsonLogFormatterTest");
  }
}
