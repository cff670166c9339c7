package io.podvault.e2e;

import io.podvault.support.TempDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** One headless Debian chromium with a profile and a download folder of its own, signed in to podvault. */
final class Browser implements AutoCloseable {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final int PHONE_WIDTH = 500;

  final ChromeDriver driver;
  final Path downloads;
  private final Path profile;
  private final String baseUrl;

  private Browser(ChromeDriver driver, Path profile, Path downloads, String baseUrl) {
    this.driver = driver;
    this.profile = profile;
    this.downloads = downloads;
    this.baseUrl = baseUrl;
  }

  static boolean installed() {
    return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
  }

  static Browser open(String baseUrl, int width, int height) throws IOException {
    Path profile = TempDirs.create("podvault-e2e-profile");
    Path downloads = TempDirs.create("podvault-e2e-downloads");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--user-data-dir=" + profile, "--window-size=" + width + "," + height);
    options.setExperimentalOption("prefs", Map.of(
      "download.default_directory", downloads.toString(),
      "download.prompt_for_download", false,
      "download.directory_upgrade", true));
    if (width < PHONE_WIDTH) {
      // A desktop window cannot be narrower than about 500 pixels; a phone's viewport is emulated instead.
      options.setExperimentalOption("mobileEmulation", Map.of("deviceMetrics",
        Map.of("width", width, "height", height, "pixelRatio", 2.0, "mobile", true, "touch", true)));
    }
    ChromeDriverService service = new ChromeDriverService.Builder()
      .usingDriverExecutable(CHROMEDRIVER.toFile())
      .usingAnyFreePort()
      .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    return new Browser(driver, profile, downloads, baseUrl);
  }

  /** Signs in on the sign-in page and waits for the Settings page to know the user. */
  void signIn(String username, String password) {
    driver.get(baseUrl + "/");
    waitUntil(Duration.ofSeconds(20), ExpectedConditions.visibilityOfElementLocated(By.id("username")));
    driver.findElement(By.id("username")).sendKeys(username);
    driver.findElement(By.id("password")).sendKeys(password);
    driver.findElement(By.id("login-button")).click();
    waitUntil(Duration.ofSeconds(20), ExpectedConditions.textToBePresentInElementLocated(By.id("who"), username));
  }

  WebElement find(String id) {
    return driver.findElement(By.id(id));
  }

  String text(String id) {
    return find(id).getText();
  }

  <T> T waitUntil(Duration timeout, java.util.function.Function<? super org.openqa.selenium.WebDriver, T> condition) {
    return new WebDriverWait(driver, timeout, Duration.ofMillis(50)).until(condition);
  }

  Object script(String script, Object... args) {
    return driver.executeScript(script, args);
  }

  void screenshot(Path target) throws IOException {
    Files.createDirectories(target.getParent());
    Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Waits until the download folder holds {@code name} and no partial file: chromium writes {@code *.crdownload}
   * until the download is complete, then renames it.
   */
  Path awaitDownload(String name, Duration timeout) throws Exception {
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (System.currentTimeMillis() < deadline) {
      List<Path> files;
      try (Stream<Path> listing = Files.list(downloads)) {
        files = listing.toList();
      }
      boolean partial = files.stream().anyMatch(f -> f.getFileName().toString().endsWith(".crdownload"));
      Path done = downloads.resolve(name);
      if (!partial && Files.exists(done)) {
        return done;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no complete " + name + " in " + downloads + " after " + timeout);
  }

  List<Path> downloaded() throws IOException {
    try (Stream<Path> listing = Files.list(downloads)) {
      return listing.toList();
    }
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      TempDirs.deleteQuietly(profile);
      TempDirs.deleteQuietly(downloads);
    }
  }
}
