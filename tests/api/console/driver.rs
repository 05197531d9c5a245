//! Headless Chromium for the browser tests: Debian's `chromium` driven by its
//! `chromium-driver` (chromedriver) over WebDriver, on a free port of 127.0.0.1.
//!
//! Each test starts its own chromedriver and one browser session that it keeps for all its
//! steps. Browser tests take turns (one Chromium at a time): two at once on a 2-core machine
//! would only slow each other down. Without chromedriver a test prints `skipped` and passes,
//! unless `CI` (or `SCIMD_REQUIRE_BROWSER`) is set: then it fails.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

fn browser_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("SCIMD_REQUIRE_BROWSER").is_some()
}

/// `SCIMD_CHROMEDRIVER`, else `chromedriver` on the `PATH`.
fn chromedriver() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SCIMD_CHROMEDRIVER") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromedriver"))
        .find(|candidate| candidate.is_file())
}

fn turn() -> &'static tokio::sync::Mutex<()> {
    static TURN: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    TURN.get_or_init(|| tokio::sync::Mutex::new(()))
}

/// A chromedriver process and its browser session.
pub struct Browser {
    pub client: Client,
    /// Whether [`Browser::screenshot`] writes (one backend's run makes the docs' images).
    pub screenshots: bool,
    driver: Child,
    _profile: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Drop for Browser {
    /// chromedriver runs in a process group of its own with the Chromium it started, so a
    /// test that fails half-way leaves no browser behind.
    fn drop(&mut self) {
        kill_group(&self.driver);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts chromedriver and a headless Chromium session with a laptop-sized window
/// (1280×800), or `None` when there is no chromedriver and none is required.
pub async fn start() -> Option<Browser> {
    let Some(path) = chromedriver() else {
        assert!(
            !browser_required(),
            "chromedriver is required (CI): apt-get install chromium chromium-driver"
        );
        eprintln!(
            "skipped: no chromedriver on the PATH (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let turn = turn().lock().await;
    let profile = tempfile::tempdir().expect("browser profile dir");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1280,800", "--hide-scrollbars", "--no-first-run",
            "--disable-extensions", "--disable-background-networking",
            format!("--user-data-dir={}", profile.path().display()),
        ]}),
    );
    let mut driver = spawn(&path);
    // chromedriver takes a moment to listen; the first session request is retried until then.
    // If it exits (another process took the free port meanwhile), it starts again.
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let url = format!("http://127.0.0.1:{}", driver.1);
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => break client,
            Err(_) if Instant::now() < deadline => {
                if matches!(driver.0.try_wait(), Ok(Some(_))) {
                    driver = spawn(&path);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => {
                kill_group(&driver.0);
                panic!("chromedriver at {url} gave no browser session: {err}");
            }
        }
    };
    Some(Browser {
        client,
        screenshots: true,
        driver: driver.0,
        _profile: profile,
        _turn: turn,
    })
}

/// chromedriver on a free port, in a process group of its own.
fn spawn(path: &std::path::Path) -> (Child, u16) {
    use std::os::unix::process::CommandExt as _;
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
    (child, port)
}

fn kill_group(driver: &Child) {
    let group = format!("-{}", driver.id());
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// The text of the first element `css` matches, waiting for it to appear.
    pub async fn text(&self, css: &str) -> String {
        self.element(css).await.text().await.expect("text")
    }

    pub async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// A DOM property (`value`, `checked`) of the first element `css` matches.
    pub async fn prop(&self, css: &str, name: &str) -> Option<String> {
        let element = self.element(css).await;
        element
            .prop(name)
            .await
            .unwrap_or_else(|e| panic!("{css} {name}: {e}"))
    }

    /// Picks the option of value `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let element = self.element(css).await;
        element.select_by_value(value).await.expect("select");
    }

    pub async fn click(&self, css: &str) {
        self.element(css).await.click().await.expect("click");
    }

    /// Clicks what leads to another page (a link, a form's button) and waits until that
    /// page has replaced this one: a form's navigation may start after the click returns.
    pub async fn follow(&self, css: &str) {
        let old = self.element("html").await;
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match old.tag_name().await {
                Err(e) if e.is_stale_element_reference() => break,
                _ if Instant::now() > deadline => panic!("clicking {css} led to no new page"),
                _ => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
    }

    /// Types into a field after clearing it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.element(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    pub async fn body(&self) -> String {
        self.text("body").await
    }

    pub async fn title(&self) -> String {
        self.text("main h1").await
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_owned()
    }

    /// Saves a screenshot of the window as `DIR/name.png` when `SCIMD_CONSOLE_SCREENSHOTS=DIR`
    /// is set (docs/console.md says how the docs' screenshots are made).
    pub async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("SCIMD_CONSOLE_SCREENSHOTS") else {
            return;
        };
        if !self.screenshots {
            return;
        }
        // The whole page, not just the window: the window grows to the page's height plus
        // what the browser's frame takes of it (the viewport is that much shorter).
        let height = self
            .client
            .execute(
                "return document.documentElement.scrollHeight \
                 + window.outerHeight - window.innerHeight",
                vec![],
            )
            .await
            .ok()
            .and_then(|h| h.as_u64())
            .unwrap_or(800)
            .clamp(800, 4000);
        let _ = self.client.set_window_size(1280, height as u32).await;
        let png = self.client.screenshot().await.expect("screenshot");
        let _ = self.client.set_window_size(1280, 800).await;
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Ends the session (Chromium exits); dropping `self` then ends chromedriver.
    pub async fn close(self) {
        self.client
            .clone()
            .close()
            .await
            .expect("close the session");
    }
}
