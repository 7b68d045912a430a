package org.buildswarm.drone.impl;

import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.buildswarm.protocol.api.TestFailure;

/**
 * Reads one JUnit XML report as the common tools write it (Maven Surefire, Gradle, pytest, Jest's
 * jest-junit, Go's go-junit-report): a {@code <testsuites>} or {@code <testsuite>} root, suites
 * that may nest, test cases with {@code failure}, {@code error} or {@code skipped} children, and
 * {@code system-out}/{@code system-err} on cases and on suites. Counts come from the test cases,
 * not from the suites' attributes, which tools fill in differently.
 *
 * <p>The file is the job's, so it is read as hostile: no DTD is processed and no external entity
 * or schema is ever fetched, and no text is kept beyond {@link #MAX_TEXT} characters.
 */
final class JUnitXml {
  /** The most of any one text (a stack trace, an output) that is kept while reading; the report caps it further. */
  static final int MAX_TEXT = 64 * 1024;

  private JUnitXml() {}

  /** A file that is not well-formed XML, or not a JUnit report; with where the parser stopped. */
  static final class Unreadable extends Exception {
    final int line;
    final int column;

    Unreadable(String message, int line, int column) {
      super(message);
      this.line = line;
      this.column = column;
    }

    /** {@code 12:5: message}, or only the message when the position is unknown. */
    String where() {
      return (line > 0 ? line + ":" + Math.max(column, 1) + ": " : "") + getMessage();
    }
  }

  /** One test case as read; {@code failure} is null when it passed or was skipped. */
  record Case(boolean skipped, TestFailure failure, long durationMs) {}

  /** What a whole file held: its test cases in order and the time its suites took. */
  record Report(List<Case> cases, long durationMs) {}

  static XMLInputFactory factory() {
    XMLInputFactory factory = XMLInputFactory.newFactory();
    // No DTD: an entity it would declare (external ones reach files and URLs, nested ones
    // multiply) is then simply undeclared, so referring to one makes the file unreadable.
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, true);
    factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
    factory.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
    factory.setXMLResolver((publicId, systemId, base, namespace) -> {
      throw new XMLStreamException("external entity " + systemId + " is not read");
    });
    return factory;
  }

  private static final class Suite {
    final String name;
    final Long timeMs;
    long caseMs;
    final List<Integer> failuresWithoutOutput = new ArrayList<>();
    final StringBuilder out = new StringBuilder();
    final StringBuilder err = new StringBuilder();

    Suite(String name, Long timeMs) {
      this.name = name;
      this.timeMs = timeMs;
    }

    long durationMs() {
      return timeMs != null ? timeMs : caseMs;
    }
  }

  /**
   * @param keepFailures how many failures to keep with their texts; later ones are only counted
   *     (their texts would not be sent, and a large report must not fill the drone's memory)
   */
  static Report read(XMLInputFactory factory, InputStream in, int keepFailures) throws Unreadable {
    XMLStreamReader xml = null;
    try {
      xml = factory.createXMLStreamReader(in);
      return read(xml, keepFailures);
    } catch (XMLStreamException e) {
      Location at = e.getLocation();
      throw new Unreadable(parserMessage(e), at == null ? -1 : at.getLineNumber(), at == null ? -1 : at.getColumnNumber());
    } catch (RuntimeException e) {
      // The JDK's parser reports some malformed input as unchecked exceptions.
      Location at = xml == null ? null : xml.getLocation();
      throw new Unreadable(String.valueOf(e.getMessage()), at == null ? -1 : at.getLineNumber(),
          at == null ? -1 : at.getColumnNumber());
    } finally {
      if (xml != null) {
        try {
          xml.close();
        } catch (XMLStreamException ignored) {
          // nothing was left to release
        }
      }
    }
  }

  private static Report read(XMLStreamReader xml, int keepFailures) throws XMLStreamException, Unreadable {
    while (xml.hasNext() && xml.next() != XMLStreamConstants.START_ELEMENT) {
      // prolog: declaration, comments, a DOCTYPE that is not processed
    }
    if (!xml.isStartElement()) {
      throw new Unreadable("it holds no XML element", -1, -1);
    }
    String root = xml.getLocalName();
    if (!root.equals("testsuites") && !root.equals("testsuite")) {
      Location at = xml.getLocation();
      throw new Unreadable("its root element is <" + root + ">, not <testsuites> or <testsuite>", at.getLineNumber(),
          at.getColumnNumber());
    }
    List<Case> cases = new ArrayList<>();
    Deque<Suite> suites = new ArrayDeque<>();
    long total = 0;
    int depth = 0;
    int kept = 0;
    for (int event = xml.getEventType(); ; event = xml.next()) {
      if (event == XMLStreamConstants.START_ELEMENT) {
        String name = xml.getLocalName();
        if (name.equals("testcase")) {
          Case read = readCase(xml, suites.peek(), kept < keepFailures); // leaves the reader on the case's end
          kept += read.failure() == null ? 0 : 1;
          cases.add(read);
          if (suites.isEmpty()) {
            total += read.durationMs();
          } else {
            suites.peek().caseMs += read.durationMs();
            if (read.failure() != null && read.failure().output().isEmpty()) {
              suites.peek().failuresWithoutOutput.add(cases.size() - 1);
            }
          }
        } else if ((name.equals("system-out") || name.equals("system-err")) && !suites.isEmpty()) {
          appendCapped(name.equals("system-out") ? suites.peek().out : suites.peek().err, readText(xml));
        } else {
          depth++;
          if (name.equals("testsuite")) {
            suites.push(new Suite(attribute(xml, "name"), seconds(xml.getAttributeValue(null, "time"))));
          }
        }
      } else if (event == XMLStreamConstants.END_ELEMENT) {
        depth--;
        if (xml.getLocalName().equals("testsuite") && !suites.isEmpty()) {
          Suite suite = suites.pop();
          // A suite's own output (Gradle writes it once per class) is what its failing cases printed.
          String output = output(suite.out, suite.err);
          for (int index : suite.failuresWithoutOutput) {
            Case failed = cases.get(index);
            TestFailure f = failed.failure();
            cases.set(index, new Case(false, new TestFailure(f.suite(), f.classname(), f.name(), f.kind(), f.message(),
                f.type(), f.detail(), output, f.durationMs()), failed.durationMs()));
          }
          if (suites.isEmpty()) {
            total += suite.durationMs();
          } else {
            suites.peek().caseMs += suite.durationMs();
          }
        }
        if (depth == 0) {
          break;
        }
      } else if (event == XMLStreamConstants.ENTITY_REFERENCE) {
        throw undeclared(xml);
      }
    }
    // Read to the end: something after the root (a second root, garbage) makes the file unreadable too.
    while (xml.hasNext()) {
      xml.next();
    }
    return new Report(cases, total);
  }

  /** Reads a {@code <testcase>} from its start to its end (the reader is left on the end). */
  private static Case readCase(XMLStreamReader xml, Suite suite, boolean keepTexts) throws XMLStreamException {
    String classname = attribute(xml, "classname");
    String name = attribute(xml, "name");
    Long time = seconds(xml.getAttributeValue(null, "time"));
    long durationMs = time == null ? 0 : time;
    boolean skipped = false;
    String kind = null;
    String message = null;
    String type = null;
    StringBuilder detail = new StringBuilder();
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    int depth = 1;
    while (depth > 0) {
      int event = xml.next();
      if (event == XMLStreamConstants.START_ELEMENT) {
        String child = xml.getLocalName();
        switch (child) {
          case "failure", "error" -> {
            // An error (it threw) outweighs a failure (an assertion); the first of a kind gives the message.
            if (kind == null || (child.equals("error") && kind.equals(TestFailure.FAILURE))) {
              kind = child.equals("error") ? TestFailure.ERROR : TestFailure.FAILURE;
              message = xml.getAttributeValue(null, "message");
              type = xml.getAttributeValue(null, "type");
            }
            String text = readText(xml);
            if (detail.length() > 0 && !text.isEmpty()) {
              appendCapped(detail, "\n");
            }
            appendCapped(detail, text);
          }
          case "skipped" -> {
            skipped = true;
            readText(xml);
          }
          case "system-out" -> appendCapped(out, readText(xml));
          case "system-err" -> appendCapped(err, readText(xml));
          // flakyFailure, rerunFailure (Surefire's reruns of a test that passed in the end) and
          // properties say nothing about how the case ended.
          default -> readText(xml);
        }
      } else if (event == XMLStreamConstants.END_ELEMENT) {
        depth--;
      }
    }
    if (kind == null) {
      return new Case(skipped, null, durationMs);
    }
    if (!keepTexts) {
      return new Case(false, new TestFailure("", "", "", kind, "", "", "", "", durationMs), durationMs);
    }
    String details = detail.toString();
    if (message == null || message.isBlank()) {
      message = details.strip().lines().findFirst().orElse("");
    }
    return new Case(false, new TestFailure(suite == null ? "" : suite.name, classname, name, kind, message,
        type == null ? "" : type, details, output(out, err), durationMs), durationMs);
  }

  private static String output(StringBuilder out, StringBuilder err) {
    if (out.length() > 0 && err.length() > 0) {
      return out + (out.charAt(out.length() - 1) == '\n' ? "" : "\n") + err;
    }
    return out.length() > 0 ? out.toString() : err.toString();
  }

  /** The text of the element the reader is on, nested elements' too; the reader is left on its end. */
  private static String readText(XMLStreamReader xml) throws XMLStreamException {
    StringBuilder text = new StringBuilder();
    int depth = 1;
    while (depth > 0) {
      int event = xml.next();
      switch (event) {
        case XMLStreamConstants.START_ELEMENT -> depth++;
        case XMLStreamConstants.END_ELEMENT -> depth--;
        case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE ->
            appendCapped(text, xml.getText());
        case XMLStreamConstants.ENTITY_REFERENCE -> throw undeclared(xml);
        default -> { }
      }
    }
    return text.toString();
  }

  private static void appendCapped(StringBuilder into, String text) {
    int room = MAX_TEXT - into.length();
    if (room > 0) {
      into.append(text, 0, Math.min(room, text.length()));
    }
  }

  private static String attribute(XMLStreamReader xml, String name) {
    String value = xml.getAttributeValue(null, name);
    return value == null ? "" : value.length() > MAX_TEXT ? value.substring(0, MAX_TEXT) : value;
  }

  /**
   * A {@code time} attribute (seconds) in milliseconds; null when absent or not a number. Some tools
   * write a decimal comma, or thousands separators ({@code 1,234.5}).
   */
  static Long seconds(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String text = value.strip();
    if (text.contains(",")) {
      text = text.contains(".") ? text.replace(",", "") : text.replace(',', '.');
    }
    try {
      double seconds = Double.parseDouble(text);
      return Double.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static XMLStreamException undeclared(XMLStreamReader xml) {
    return new XMLStreamException("the entity &" + xml.getLocalName() + "; is not declared (no DTD is read)",
        xml.getLocation());
  }

  /** The JDK parser's message without its "ParseError at [row,col]" preamble (the position is given apart). */
  private static String parserMessage(XMLStreamException e) {
    String message = String.valueOf(e.getMessage());
    int at = message.indexOf("Message: ");
    String plain = (at >= 0 ? message.substring(at + "Message: ".length()) : message).strip();
    return plain.isEmpty() ? "malformed XML" : plain;
  }
}
