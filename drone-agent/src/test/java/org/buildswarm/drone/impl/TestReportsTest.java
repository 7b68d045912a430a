package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.buildswarm.protocol.api.TestFailure;
import org.buildswarm.protocol.api.TestSummary;
import org.buildswarm.protocol.message.TestResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestReportsTest {
  @TempDir
  Path work;

  private final List<String> log = new ArrayList<>();

  private Path workspace() throws IOException {
    return Files.createDirectories(work.resolve("ws"));
  }

  private Path write(String relative, String xml) throws IOException {
    Path file = work.resolve("ws").resolve(relative);
    Files.createDirectories(file.getParent());
    return Files.writeString(file, xml);
  }

  private TestResults collect(String... patterns) throws IOException {
    return collect(TestReports.Limits.DEFAULTS, UnaryOperator.identity(), patterns);
  }

  private TestResults collect(TestReports.Limits limits, UnaryOperator<String> mask, String... patterns)
      throws IOException {
    return new TestReports(limits).collect(workspace(), List.of(patterns), log::add, mask);
  }

  private static final String SUREFIRE = """
      <?xml version="1.0" encoding="UTF-8"?>
      <testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="com.example.CartTest" time="1.25"
          tests="4" errors="1" skipped="1" failures="1">
        <properties><property name="java.version" value="17"/></properties>
        <testcase name="adds" classname="com.example.CartTest" time="0.5"/>
        <testcase name="totals" classname="com.example.CartTest" time="0.25">
          <failure message="expected: &lt;3&gt; but was: &lt;2&gt;" type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: expected: <3> but was: <2>
      	at com.example.CartTest.totals(CartTest.java:31)
      ]]></failure>
          <system-out><![CDATA[computing the total
      ]]></system-out>
          <system-err><![CDATA[warning: rounding]]></system-err>
        </testcase>
        <testcase name="pays" classname="com.example.CartTest" time="0,125">
          <error message="boom" type="java.lang.IllegalStateException">java.lang.IllegalStateException: boom</error>
        </testcase>
        <testcase name="ships" classname="com.example.CartTest" time="0">
          <skipped message="not yet"/>
        </testcase>
        <testcase name="flaky" classname="com.example.CartTest" time="0.1">
          <flakyFailure message="once" type="java.lang.AssertionError"/>
        </testcase>
      </testsuite>
      """;

  @Test
  void surefireReportsGiveCountsTimesAndEachFailureWithItsOutput() throws Exception {
    write("target/surefire-reports/TEST-com.example.CartTest.xml", SUREFIRE);
    write("target/surefire-reports/com.example.CartTest.txt", "not a report");
    TestResults results = collect("target/surefire-reports/*.xml");
    assertThat(results.summary()).isEqualTo(new TestSummary(5, 2, 1, 1, 1, 1250));
    assertThat(results.truncated()).isFalse();
    assertThat(results.failures()).hasSize(2);
    TestFailure failure = results.failures().get(0);
    assertThat(failure).isEqualTo(new TestFailure("com.example.CartTest", "com.example.CartTest", "totals",
        TestFailure.FAILURE, "expected: <3> but was: <2>", "org.opentest4j.AssertionFailedError",
        "org.opentest4j.AssertionFailedError: expected: <3> but was: <2>\n\tat com.example.CartTest.totals(CartTest.java:31)\n",
        "computing the total\nwarning: rounding", 250));
    TestFailure error = results.failures().get(1);
    assertThat(error.kind()).isEqualTo(TestFailure.ERROR);
    assertThat(error.message()).isEqualTo("boom");
    assertThat(error.durationMs()).isEqualTo(125);
    assertThat(log).last().asString().contains("1 file(s), 5 tests: 2 passed, 1 failed, 1 errored, 1 skipped");
  }

  @Test
  void gradleSuiteOutputGoesWithTheFailuresThatHaveNoneOfTheirOwn() throws Exception {
    write("build/test-results/test/TEST-app.ParserTest.xml", """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuite name="app.ParserTest" tests="2" skipped="0" failures="1" errors="0" timestamp="2024-01-01T00:00:00"
            hostname="h" time="0.042">
          <properties/>
          <testcase name="parsesNumbers()" classname="app.ParserTest" time="0.012"/>
          <testcase name="parsesDates()" classname="app.ParserTest" time="0.03">
            <failure message="java.lang.AssertionError: no date" type="java.lang.AssertionError">java.lang.AssertionError: no date
          at app.ParserTest.parsesDates(ParserTest.java:12)</failure>
          </testcase>
          <system-out><![CDATA[parsing 2024-01-01
        ]]></system-out>
          <system-err><![CDATA[]]></system-err>
        </testsuite>
        """);
    write("build/test-results/test/binary/output.bin", "\u0000\u0001");
    TestResults results = collect("build/test-results/**/*.xml");
    assertThat(results.summary()).isEqualTo(new TestSummary(2, 1, 1, 0, 0, 42));
    assertThat(results.failures()).singleElement().satisfies(failure -> {
      assertThat(failure.name()).isEqualTo("parsesDates()");
      assertThat(failure.output()).isEqualTo("parsing 2024-01-01\n");
      assertThat(failure.detail()).startsWith("java.lang.AssertionError: no date\n");
    });
  }

  @Test
  void pytestAndJestReportsUnderATestsuitesRootWithNestedSuites() throws Exception {
    write("reports/pytest.xml", """
        <?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="0"
        failures="1" skipped="1" tests="3" time="0.543" timestamp="2024-01-01T00:00:00" hostname="h"><testcase
        classname="tests.test_cart" name="test_add" time="0.001" /><testcase classname="tests.test_cart"
        name="test_total" time="0.002"><failure message="assert 2 == 3">def test_total():
        &gt;       assert 2 == 3
        E       assert 2 == 3</failure><system-out>total is 2</system-out></testcase><testcase
        classname="tests.test_cart" name="test_ship" time="0.000"><skipped type="pytest.skip"
        message="not on CI">/tests/test_cart.py:20: not on CI</skipped></testcase></testsuite></testsuites>
        """);
    write("reports/jest/junit.xml", """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="jest tests" tests="2" failures="1" errors="0" time="3.2">
          <testsuite name="cart" errors="0" failures="1" skipped="0" timestamp="2024-01-01T00:00:00" time="1.5" tests="2">
            <testsuite name="cart totals" time="0.5">
              <testcase classname="cart totals sums" name="cart totals sums" time="0.004">
                <failure>Error: expect(received).toBe(expected) // Object.is equality

        Expected: 3
        Received: 2
            at Object.&lt;anonymous&gt; (cart.test.js:5:21)</failure>
              </testcase>
            </testsuite>
            <testcase classname="cart adds" name="cart adds" time="0.002">
            </testcase>
          </testsuite>
        </testsuites>
        """);
    TestResults results = collect("reports/**/*.xml");
    assertThat(results.summary()).isEqualTo(new TestSummary(5, 2, 2, 0, 1, 543 + 1500));
    assertThat(results.failures()).extracting(TestFailure::suite, TestFailure::name, TestFailure::message,
            TestFailure::output)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("cart totals", "cart totals sums",
                "Error: expect(received).toBe(expected) // Object.is equality", ""),
            org.assertj.core.groups.Tuple.tuple("pytest", "test_total", "assert 2 == 3", "total is 2"));
  }

  @Test
  void aFileThatIsNotWellFormedIsALineInTheLogWithWhereTheParserStopped() throws Exception {
    write("out/good.xml", "<testsuite name=\"s\"><testcase classname=\"A\" name=\"b\"/></testsuite>");
    write("out/broken.xml", "<testsuite name=\"s\">\n  <testcase classname=\"A\" name=\"c\">\n  </testsuite>\n");
    write("out/empty.xml", "");
    write("out/page.xml", "<html><body>not a report</body></html>");
    write("out/cut.xml", "<testsuite name=\"s\"><testcase classname=\"A\" name=\"d\"><failure message=\"x\">");
    TestResults results = collect("out/*.xml");
    assertThat(results.summary()).as("only the good file counts").isEqualTo(new TestSummary(1, 1, 0, 0, 0, 0));
    assertThat(log).anySatisfy(line -> assertThat(line).startsWith("reports: out/broken.xml is left out, it is not a "
        + "JUnit XML report: 3:5: ").contains("testcase"));
    assertThat(log).anySatisfy(line -> assertThat(line).startsWith("reports: out/empty.xml is left out"));
    assertThat(log).anySatisfy(line -> assertThat(line).startsWith("reports: out/page.xml is left out")
        .contains("1:7: its root element is <html>"));
    assertThat(log).anySatisfy(line -> assertThat(line).startsWith("reports: out/cut.xml is left out, it is not a "
        + "JUnit XML report: 1:"));
  }

  @Test
  void externalEntitiesAndDtdsAreNeverResolved() throws Exception {
    Path secret = Files.writeString(work.resolve("host-secret.txt"), "HOST-SECRET-CONTENT");
    write("out/xxe.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM \"" + secret.toUri()
        + "\">]>\n<testsuite name=\"s\"><testcase classname=\"A\" name=\"b\"><failure message=\"x\">&xxe;</failure>"
        + "</testcase></testsuite>");
    write("out/dtd.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE testsuite SYSTEM \"" + secret.toUri() + "\">\n"
        + "<testsuite name=\"s\"><testcase classname=\"A\" name=\"ok\"/></testsuite>");
    write("out/laughs.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE testsuite [<!ENTITY a \"aaaaaaaaaa\">"
        + "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>\n"
        + "<testsuite name=\"s\"><testcase classname=\"A\" name=\"c\"><failure message=\"&c;\"/></testcase></testsuite>");
    TestResults results = collect("out/*.xml");
    assertThat(results.toString()).doesNotContain("HOST-SECRET-CONTENT").doesNotContain("aaaaaaaaaaaaaaaaaaaa");
    assertThat(String.join("\n", log)).doesNotContain("HOST-SECRET-CONTENT");
    assertThat(log).anySatisfy(line -> assertThat(line).startsWith("reports: out/xxe.xml is left out").contains("3:"));
    assertThat(log).anySatisfy(line -> assertThat(line).startsWith("reports: out/laughs.xml is left out"));
    // A DOCTYPE naming an external DTD is not fetched; the report itself is fine.
    assertThat(results.summary()).isEqualTo(new TestSummary(1, 1, 0, 0, 0, 0));
  }

  @Test
  void failuresFilesAndBytesAreCappedAndSaySo() throws Exception {
    StringBuilder many = new StringBuilder("<testsuite name=\"s\">");
    for (int i = 0; i < 5; i++) {
      many.append("<testcase classname=\"A\" name=\"t").append(i).append("\"><failure message=\"")
          .append("m".repeat(100)).append("\">").append("trace ".repeat(100)).append("</failure><system-out>")
          .append("o".repeat(20_000)).append("</system-out></testcase>");
    }
    write("out/a-many.xml", many.append("</testsuite>").toString());
    write("out/b.xml", "<testsuite name=\"s\"><testcase classname=\"A\" name=\"ok\"/></testsuite>");
    write("out/c.xml", "<testsuite name=\"s\"><testcase classname=\"A\" name=\"ok\"/></testsuite>");
    TestReports.Limits limits = new TestReports.Limits(2, 10L * 1024 * 1024, 3, 40, 16 * 1024, 1_000, 1L << 20, 1_000);
    TestResults results = collect(limits, UnaryOperator.identity(), "out/*.xml");
    assertThat(results.truncated()).isTrue();
    assertThat(results.summary()).as("two files read of three").isEqualTo(new TestSummary(6, 1, 5, 0, 0, 0));
    assertThat(results.failures()).hasSize(3).allSatisfy(failure -> {
      assertThat(failure.message()).isEqualTo("m".repeat(40) + TestReports.TRUNCATED);
      assertThat(failure.output()).isEqualTo("o".repeat(1_000) + TestReports.TRUNCATED);
      assertThat(failure.detail()).isEqualTo("trace ".repeat(100));
    });
    assertThat(log).anySatisfy(line -> assertThat(line).isEqualTo(
        "reports: 3 files match; only the first 2 are read"));

    log.clear();
    TestReports.Limits bytes = new TestReports.Limits(100, 100, 3, 40, 100, 100, 1L << 20, 1_000);
    TestResults few = collect(bytes, UnaryOperator.identity(), "out/b.xml", "out/c.xml");
    assertThat(few.summary().total()).as("the first fits in 100 bytes, the second does not").isEqualTo(1);
    assertThat(few.truncated()).isTrue();
    assertThat(log).anySatisfy(line -> assertThat(line).startsWith("reports: out/c.xml and the files after it are "
        + "left out: more than"));
  }

  @Test
  void secretsAreMaskedInWhatIsSent() throws Exception {
    write("out/r.xml", "<testsuite name=\"s-hunter2-x\"><testcase classname=\"A\" name=\"logs in\"><failure "
        + "message=\"password hunter2 refused\">at login(hunter2)</failure><system-out>using hunter2\n"
        + "</system-out></testcase></testsuite>");
    SecretsDirectory.Masker masker = new SecretsDirectory.Masker(List.of("hunter2"));
    TestResults results = collect(TestReports.Limits.DEFAULTS, masker::mask, "out/*.xml");
    assertThat(results.toString()).doesNotContain("hunter2");
    assertThat(results.failures().get(0).message()).isEqualTo("password *** refused");
    assertThat(results.failures().get(0).output()).isEqualTo("using ***\n");
    assertThat(results.failures().get(0).suite()).isEqualTo("s-***-x");
  }

  @Test
  void linksOutOfTheWorkspaceAreNotFollowedAndPatternsMayExclude() throws Exception {
    Path outside = Files.createDirectories(work.resolve("outside"));
    Files.writeString(outside.resolve("TEST-outside.xml"),
        "<testsuite name=\"s\"><testcase classname=\"Out\" name=\"side\"/></testsuite>");
    write("mod/TEST-a.xml", "<testsuite name=\"s\"><testcase classname=\"A\" name=\"a\"/></testsuite>");
    write("mod/deep/er/TEST-b.xml", "<testsuite name=\"s\"><testcase classname=\"B\" name=\"b\"/></testsuite>");
    write("mod/TEST-slow.xml", "<testsuite name=\"s\"><testcase classname=\"S\" name=\"s\"/></testsuite>");
    Path ws = workspace();
    Files.createSymbolicLink(ws.resolve("mod/TEST-link.xml"), outside.resolve("TEST-outside.xml"));
    Files.createSymbolicLink(ws.resolve("mod/linked-dir"), outside);
    Files.createSymbolicLink(ws.resolve("target"), outside);
    Files.createSymbolicLink(ws.resolve("mod/TEST-inside.xml"), ws.resolve("mod/TEST-a.xml"));
    TestResults results = collect("**/TEST-*.xml", "target/*.xml", "!mod/TEST-slow.xml");
    assertThat(results.summary().total()).as("a, b and the link to a inside the workspace").isEqualTo(3);
    assertThat(log).anySatisfy(line -> assertThat(line).contains("mod/TEST-link.xml").contains(
        "a link to outside the workspace"));
    assertThat(String.join("\n", log)).doesNotContain("linked-dir");

    log.clear();
    assertThat(collect("nothing/*.xml").summary()).isEqualTo(TestSummary.EMPTY);
    assertThat(log).containsExactly("reports: no file matches nothing/*.xml");
    assertThat(new TestReports(TestReports.Limits.DEFAULTS).collect(ws, List.of(), log::add, UnaryOperator.identity()))
        .isNull();
  }
}
