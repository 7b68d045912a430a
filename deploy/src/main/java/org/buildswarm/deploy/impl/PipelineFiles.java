package org.buildswarm.deploy.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
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
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      int bad = firstBadByte(bytes);
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

  /** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
  private static int firstBadByte(byte[] bytes) {
    for (int i = 0; i < bytes.length; ) {
      int b = bytes[i] & 0xff;
      int length = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
      if (length == 0 || i + length > bytes.length) {
        return i;
      }
      for (int k = 1; k < length; k++) {
        if ((bytes[i + k] & 0xC0) != 0x80) {
          return i;
        }
      }
      if (StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, i, length), java.nio.CharBuffer.allocate(2), true).isError()) {
        return i;
      }
      i += length;
    }
    return Math.max(0, bytes.length - 1);
  }
}
