package org.buildswarm.deploy.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A pipeline file read as the CLI reads it: UTF-8 text, or a problem with its line and column. */
public final class PipelineFiles {
  private PipelineFiles() {
  }

  /** The file is not UTF-8; the message is {@code file:line:column: …}. */
  public static final class NotText extends IOException {
    private static final long serialVersionUID = 1L;

    NotText(String message) {
      super(message);
    }
  }

  public static String read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    // One pass: on a bad byte the decoder stops with the input positioned at it.
    CoderResult result = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in, out, true);
    if (!result.isError()) {
      return out.flip().toString();
    }
    int bad = in.position();
    int line = 1;
    int column = 1;
    for (int i = 0; i < bad; i++) {
      if (bytes[i] == '\n') {
        line++;
        column = 1;
      } else if ((bytes[i] & 0xC0) != 0x80) {
        column++;
      }
    }
    throw new NotText(file + ":" + line + ":" + column + ": not UTF-8 text (byte 0x"
        + String.format("%02x", bytes[bad] & 0xff) + "); save the pipeline file as UTF-8");
  }
}
