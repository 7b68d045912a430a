package org.buildswarm.drone.impl;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * An attempt's log file plus the tail of the current step; one writer at a time. With secrets,
 * output is masked as a stream before anything is written (see {@link SecretsDirectory.Masker}), so a secret
 * never reaches the spool, the gateway or the report. Steps' output beyond the size limit is not
 * kept (the job goes on, and the log says so once); the tail for the report still follows it.
 * Every byte written is seen first by the log's {@link LineTimes}.
 */
final class JobLog {
  private static final Logger LOG = Logger.getLogger(JobLog.class.getName());
  /** Output held back for masking is masked and written once it is this long (or at a newline). */
  private static final int MASK_BATCH = 8 * 1024;
  private final OutputStream out;
  private final LineTimes times;
  private final long limitBytes;
  private final int tailLines;
  private final int maxTailLine;
  private final ArrayDeque<String> tail = new ArrayDeque<>();
  private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
  /** Output not yet masked, one ISO-8859-1 char per byte. */
  private final StringBuilder unmasked = new StringBuilder();
  private SecretsDirectory.Masker masker;
  /** When the oldest output held back for masking arrived: its lines' time, not when masking let them go. */
  private long heldSince;
  private Thread detached;
  private long outputBytes;
  private boolean limitReached;

  /** @param limitBytes how much step output is kept; 0 for no limit */
  JobLog(OutputStream out, LineTimes times, long limitBytes, int tailLines, int maxTailLine) {
    this.out = out;
    this.times = times;
    this.limitBytes = limitBytes;
    this.tailLines = tailLines;
    this.maxTailLine = maxTailLine;
  }

  synchronized void mask(SecretsDirectory.Masker newMasker) {
    masker = newMasker.isEmpty() ? null : newMasker;
  }

  synchronized void startStep() {
    flushUnmasked(true);
    tail.clear();
    partial.reset();
  }

  synchronized void output(byte[] bytes, int length) {
    if (Thread.currentThread() == detached) {
      return;
    }
    if (masker == null) {
      emit(bytes, length, times.now());
      return;
    }
    long now = times.now();
    int heldBefore = unmasked.length();
    if (heldBefore == 0) {
      heldSince = now;
    }
    unmasked.append(new String(bytes, 0, length, StandardCharsets.ISO_8859_1));
    boolean newline = false;
    for (int i = 0; i < length && !newline; i++) {
      newline = bytes[i] == '\n';
    }
    if (newline || unmasked.length() >= MASK_BATCH) {
      flushUnmasked(false);
      if (unmasked.length() > 0 && unmasked.length() <= length) {
        heldSince = now; // what is still held back all came now
      }
    }
  }

  /** Masks and writes what can be decided; with {@code all}, everything held back. */
  private void flushUnmasked(boolean all) {
    if (unmasked.length() == 0 || masker == null) {
      return;
    }
    StringBuilder masked = new StringBuilder(unmasked.length());
    int consumed = masker.maskAvailable(unmasked.toString(), all, masked);
    unmasked.delete(0, consumed);
    byte[] bytes = masked.toString().getBytes(StandardCharsets.ISO_8859_1);
    emit(bytes, bytes.length, heldSince);
  }

  /** @param receivedAt when the step wrote these bytes */
  private void emit(byte[] bytes, int length, long receivedAt) {
    if (length == 0) {
      return;
    }
    long room = limitBytes <= 0 ? length : Math.max(0, limitBytes - outputBytes);
    int kept = (int) Math.min(length, room);
    if (kept > 0) {
      write(bytes, 0, kept, false, receivedAt);
      outputBytes += kept;
    }
    for (int i = 0; i < length; i++) {
      if (bytes[i] == '\n') {
        remember(partial.toString(StandardCharsets.UTF_8));
        partial.reset();
      } else if (partial.size() < maxTailLine * 4) {
        partial.write(bytes[i]);
      }
    }
    if (kept < length && !limitReached) {
      limitReached = true;
      String notice = (kept > 0 && bytes[kept - 1] != '\n' ? "\n" : "") + "==> the log reached its limit of "
          + limitBytes / (1024 * 1024) + " MiB; the rest of this job's output is not kept (the job goes on)\n";
      byte[] noticeBytes = notice.getBytes(StandardCharsets.UTF_8);
      write(noticeBytes, 0, noticeBytes.length, true, receivedAt);
    }
    flush();
  }

  /** Whether output was dropped for the size limit. */
  synchronized boolean limitReached() {
    return limitReached;
  }

  synchronized void line(String text) {
    flushUnmasked(true);
    // The drone's own lines too: a step's name is its command, which may print a secret's value.
    byte[] bytes = ((masker == null ? text : masker.mask(text)) + "\n").getBytes(StandardCharsets.UTF_8);
    if (partial.size() > 0) {
      write(new byte[] {'\n'}, 0, 1, false, times.now());
      remember(partial.toString(StandardCharsets.UTF_8));
      partial.reset();
    }
    write(bytes, 0, bytes.length, true, times.now());
    flush();
  }

  synchronized void detach(Thread reader) {
    detached = reader;
  }

  synchronized List<String> tail() {
    flushUnmasked(true);
    List<String> lines = new ArrayList<>(tail);
    if (partial.size() > 0) {
      lines.add(partial.toString(StandardCharsets.UTF_8));
    }
    return lines.size() > tailLines ? lines.subList(lines.size() - tailLines, lines.size()) : lines;
  }

  synchronized void close() {
    flushUnmasked(true);
    times.close();
    try {
      out.close();
    } catch (IOException e) {
      LOG.warning("could not close a job log: " + e.getMessage());
    }
  }

  private void remember(String line) {
    tail.addLast(line.length() > maxTailLine ? line.substring(0, maxTailLine) + "…" : line);
    if (tail.size() > tailLines) {
      tail.removeFirst();
    }
  }

  /** @param droneLine whether these are the drone's own line (always indexed) rather than a step's output */
  private void write(byte[] bytes, int offset, int length, boolean droneLine, long receivedAt) {
    times.writing(bytes, offset, length, droneLine, receivedAt);
    try {
      out.write(bytes, offset, length);
    } catch (IOException e) {
      // A full disk must not fail the build; the tail still reaches the report.
      LOG.warning("could not write a job log: " + e.getMessage());
    }
  }

  private void flush() {
    try {
      out.flush();
    } catch (IOException e) {
      LOG.warning("could not write a job log: " + e.getMessage());
    }
  }
}
