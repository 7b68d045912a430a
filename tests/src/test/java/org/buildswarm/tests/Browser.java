package org.buildswarm.tests;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.FluentWait;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven through Debian's chromium-driver: no browser download, a fresh
 * profile in the test's directory, and the flags that keep Chromium off the (closed) network.
 * Closing it stops the browser and the driver.
 */
final class Browser implements AutoCloseable {
  static final String CHROMIUM = "/usr/bin/chromium";
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";

  /** How long a look for an element that the page is redrawing may take. */
  private static final Duration FIND_AGAIN = Duration.ofSeconds(30);

  final ChromeDriver driver;
  private final ChromeDriverService service;
  private final Path screenshots;

  Browser(Path directory, Path screenshots) throws IOException {
    this.screenshots = screenshots;
    Files.createDirectories(screenshots);
    Path profile = Files.createDirectories(directory.resolve("chromium-profile"));
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER))
        .usingAnyFreePort()
        .withLogFile(directory.resolve("chromedriver.log").toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1400,900", "--user-data-dir=" + profile);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, java.util.logging.Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    driver = new ChromeDriver(service, options);
  }

  static boolean available() {
    return Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER));
  }

  /**
   * A wait that also looks again when an element it found went stale: the page redraws itself on
   * live events, so an element found a moment ago may be gone, and a user's next look finds its
   * successor.
   */
  FluentWait<WebDriver> waitUpTo(Duration timeout) {
    return new WebDriverWait(driver, timeout, Duration.ofMillis(100)).ignoring(StaleElementReferenceException.class);
  }

  /** The text of the element the locator finds now (found again if the page redrew meanwhile). */
  String text(By locator) {
    return waitUpTo(FIND_AGAIN).until(found -> found.findElement(locator).getText());
  }

  /** The texts of every element the locator finds now. */
  List<String> texts(By locator) {
    return waitUpTo(FIND_AGAIN).until(found -> found.findElements(locator).stream().map(WebElement::getText).toList());
  }

  void click(By locator) {
    waitUpTo(FIND_AGAIN).until(found -> {
      found.findElement(locator).click();
      return true;
    });
  }

  /** Types into the field the locator finds; a redraw keeps what was typed, so a retry starts afresh. */
  void type(By locator, String keys) {
    waitUpTo(FIND_AGAIN).until(found -> {
      WebElement field = found.findElement(locator);
      field.clear();
      field.sendKeys(keys);
      return true;
    });
  }

  Path screenshot(String name) throws IOException {
    Path file = screenshots.resolve(name + ".png");
    Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    return file;
  }

  /** What the page wrote to its console: for failure messages. */
  String console() {
    try {
      List<LogEntry> entries = driver.manage().logs().get(LogType.BROWSER).getAll();
      StringBuilder text = new StringBuilder();
      entries.forEach(entry -> text.append(entry.getLevel()).append(' ').append(entry.getMessage()).append('\n'));
      return text.toString();
    } catch (RuntimeException e) {
      return "(no console: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
    }
  }
}
