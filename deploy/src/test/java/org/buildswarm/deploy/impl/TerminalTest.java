package org.buildswarm.deploy.impl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TerminalTest {
  @Test
  void whatATerminalWouldHideOrObeyIsWrittenOutAndTheRestIsKept() {
    assertThat(Terminal.shown("test (\u202Eelbat, linux)")).isEqualTo("test (\\u{202E}elbat, linux)");
    assertThat(Terminal.shown("zero\u200Bwidth")).isEqualTo("zero\\u{200B}width");
    assertThat(Terminal.shown("\u001B[2Jcleared")).isEqualTo("\\u{001B}[2Jcleared");
    assertThat(Terminal.shown("café — naïve 日本 🚀")).isEqualTo("café — naïve 日本 🚀");
    assertThat(Terminal.shown(null)).isNull();
  }
}
