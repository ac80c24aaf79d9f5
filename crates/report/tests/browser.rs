//! The HTML report in a real headless Chromium, driven over WebDriver (chromedriver, Debian's
//! `chromium` and `chromium-driver`, listed in scripts/deps/debian.txt).
//!
//! The page of the shared fixture is opened from `file://` and checked as a reviewer would see
//! it: the verdict banner, the blockers and the charts are visible; the page made no network
//! request (Chromium's own network log, from the DevTools performance log, and the resource
//! timing list) and logged no console error; a test named `<script>…` shows as text; the
//! keyboard reaches the skip link and opens a gate. A screenshot is saved under the target
//! folder as a CI artifact.

mod common;

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use gonogo_report::i18n::Lang;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a loopback port it picks itself (`--port=0`), killed on drop.
struct Driver {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Driver {
    fn start() -> Driver {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(binary).exists(),
                "{binary} is missing (hint: apt-get install chromium chromium-driver; scripts/test installs scripts/deps/debian.txt)"
            );
        }
        let mut child = Command::new(CHROMEDRIVER)
            .args(["--port=0", "--allowed-ips=127.0.0.1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(port) = line
                    .split("started successfully on port ")
                    .nth(1)
                    .and_then(|rest| rest.trim_end_matches('.').parse::<u16>().ok())
                {
                    let _ = sender.send(port);
                }
            }
        });
        let port = receiver
            .recv_timeout(Duration::from_secs(20))
            .expect("chromedriver reports its port within 20 s");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            agent,
        };
        // Readiness: /status answers `ready` (bounded retries, no sleep-as-synchronisation).
        for attempt in 0..100 {
            if let Ok(mut response) = driver.agent.get(format!("{}/status", driver.base)).call()
                && let Ok(status) = response.body_mut().read_json::<Value>()
                && status["value"]["ready"] == true
            {
                return driver;
            }
            assert!(attempt < 99, "chromedriver never became ready");
            std::thread::park_timeout(Duration::from_millis(100));
        }
        unreachable!()
    }

    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let mut response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, Some(body)) => self.agent.post(&url).send_json(&body),
            (_, None) => self.agent.post(&url).send_json(json!({})),
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let value: Value = response.body_mut().read_json().unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value["value"].clone()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    fn new<'a>(driver: &'a Driver, profile: &Path, extra_args: &[&str]) -> Session<'a> {
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            // No name resolves but localhost: a report that asked for anything would fail
            // loudly instead of reaching the network.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--window-size=1280,2200".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.extend(extra_args.iter().map(|a| a.to_string()));
        let value = driver.request(
            "POST",
            "/session",
            Some(json!({ "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
                "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" }
            }}})),
        );
        Session {
            driver,
            id: value["sessionId"].as_str().unwrap().to_owned(),
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.driver
            .request("POST", &format!("/session/{}{path}", self.id), Some(body))
    }

    fn run(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": [] }))
    }

    fn log(&self, kind: &str) -> Vec<Value> {
        self.post("/se/log", json!({ "type": kind }))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.post(
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        );
    }

    fn screenshot(&self, path: &Path) {
        let value = self
            .driver
            .request("GET", &format!("/session/{}/screenshot", self.id), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self
            .driver
            .agent
            .delete(format!("{}/session/{}", self.driver.base, self.id))
            .call();
    }
}

/// Where CI picks up artifacts: the cargo target folder.
fn artifact_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::workspace_root().join("target"))
        .join("gonogo-report-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn html_report_in_headless_chromium() {
    let (doc, evidence) = common::fixture();
    let dir = tempfile::tempdir().unwrap();
    let page_path = dir.path().join("report.html");
    std::fs::write(&page_path, common::html(&doc, &evidence, Lang::En)).unwrap();
    let url = format!("file://{}", page_path.display());

    let driver = Driver::start();
    let session = Session::new(&driver, &dir.path().join("profile"), &[]);
    session.post("/url", json!({ "url": url }));

    // The banner, at the top, says NO-GO.
    let banner = session.run(
        "const b = document.getElementById('verdict'); const r = b.getBoundingClientRect();
         return { text: b.innerText, top: r.top, height: r.height, width: r.width };",
    );
    assert!(
        banner["text"].as_str().unwrap().starts_with("NO-GO"),
        "{banner}"
    );
    assert_eq!(banner["top"], 0);
    assert!(banner["height"].as_f64().unwrap() > 40.0, "{banner}");

    // Three blockers, visible, in rank order.
    let blockers = session.run(
        "return [...document.querySelectorAll('#blockers li.blocker')].map(li => {
           const r = li.getBoundingClientRect();
           return { name: li.querySelector('h3 a').textContent, visible: r.width > 0 && r.height > 0
                    && getComputedStyle(li).visibility === 'visible' };
         });",
    );
    assert_eq!(
        blockers,
        json!([
            { "name": "no critical vulnerabilities", "visible": true },
            { "name": "tests pass", "visible": true },
            { "name": "readiness availability", "visible": true }
        ])
    );

    // Every chart is laid out with a real size once scrolled to, and has drawn content.
    let charts = session.run(
        "return [...document.querySelectorAll('svg.chart')].map(svg => {
           svg.scrollIntoView();
           const r = svg.getBoundingClientRect();
           return { label: svg.getAttribute('aria-label'), width: Math.round(r.width),
                    height: Math.round(r.height), shapes: svg.querySelectorAll('path,rect,circle').length };
         });",
    );
    let charts = charts.as_array().unwrap();
    // Nine since issue 17 gave the load record's errors a chart of their own.
    assert_eq!(charts.len(), 9, "{charts:?}");
    for chart in charts {
        assert!(chart["width"].as_f64().unwrap() >= 300.0, "{chart}");
        assert!(chart["height"].as_f64().unwrap() >= 30.0, "{chart}");
        assert!(chart["shapes"].as_u64().unwrap() >= 3, "{chart}");
    }

    // The test named <script>… is text, and no script of it ran.
    let script_name = session.run(
        "const cells = [...document.querySelectorAll('.test-name code')];
         return { names: cells.map(c => c.textContent), scripts: document.scripts.length,
                  alerted: typeof window.__gonogo_alerted };",
    );
    assert!(
        script_name["names"]
            .as_array()
            .unwrap()
            .contains(&json!(common::SCRIPT_TEST_NAME)),
        "{script_name}"
    );
    assert_eq!(script_name["scripts"], 1);

    // Keyboard: the first Tab reaches the skip link; Enter on a gate's summary opens it.
    session.run("window.scrollTo(0, 0); document.activeElement.blur();");
    session.keys("\u{E004}");
    let focused = session.run("return document.activeElement.className;");
    assert_eq!(focused, "skip");
    session.run("document.querySelector('#gate-6 > summary').focus();");
    session.keys("\u{E007}");
    assert_eq!(
        session.run("return document.getElementById('gate-6').open;"),
        true
    );
    session.run("document.getElementById('gate-6').scrollIntoView();");
    session.screenshot(&artifact_dir().join("report-en-gate.png"));

    session.run("window.scrollTo(0, 0);");
    let screenshot = artifact_dir().join("report-en.png");
    session.screenshot(&screenshot);
    eprintln!("screenshot: {}", screenshot.display());

    // No request but the page itself: the resource timing list and Chromium's network log.
    assert_eq!(
        session.run("return performance.getEntriesByType('resource').length;"),
        0
    );
    let requested: Vec<String> = session
        .log("performance")
        .iter()
        .filter_map(|entry| {
            let message: Value = serde_json::from_str(entry["message"].as_str()?).ok()?;
            let params = &message["message"]["params"];
            // Requests the report's document made (the browser's own start page is not ours).
            (message["message"]["method"] == "Network.requestWillBeSent"
                && params["documentURL"] == url.as_str())
            .then(|| {
                params["request"]["url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
        })
        .collect();
    assert!(
        requested.iter().all(|u| *u == url),
        "requests besides the page: {requested:?}"
    );
    assert!(
        !requested.is_empty(),
        "the network log recorded nothing at all"
    );

    // No console error (a CSP violation would log one), and the console log does work.
    let errors: Vec<Value> = session
        .log("browser")
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    session.run("console.error('gonogo-browser-test-probe');");
    assert!(
        session.log("browser").iter().any(|e| e["message"]
            .as_str()
            .unwrap_or("")
            .contains("gonogo-browser-test-probe")),
        "the console log is not captured, so the check above proves nothing"
    );

    // Printing opens every gate (the hashed print script ran under the CSP) and yields a PDF.
    let closed_before =
        session.run("return document.querySelectorAll('details:not([open])').length;");
    assert!(closed_before.as_u64().unwrap() > 5, "{closed_before}");
    let pdf = session.post("/print", json!({}));
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(pdf.as_str().unwrap())
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    std::fs::write(artifact_dir().join("report-en.pdf"), pdf).unwrap();
    assert_eq!(
        session.run("return document.querySelectorAll('details:not([open])').length;"),
        0
    );

    // The charts, scrolled into view, for the artifact.
    session.run("document.getElementById('charts').scrollIntoView();");
    session.screenshot(&artifact_dir().join("report-en-charts.png"));

    // Chinese, in dark mode (prefers-color-scheme emulated through chromedriver's CDP bridge).
    let zh_path = dir.path().join("report.zh-CN.html");
    std::fs::write(&zh_path, common::html(&doc, &evidence, Lang::ZhCn)).unwrap();
    session.post(
        "/goog/cdp/execute",
        json!({ "cmd": "Emulation.setEmulatedMedia",
                "params": { "features": [{ "name": "prefers-color-scheme", "value": "dark" }] } }),
    );
    session.post(
        "/url",
        json!({ "url": format!("file://{}", zh_path.display()) }),
    );
    let zh = session.run(
        "return { lang: document.documentElement.lang, headline: document.querySelector('.headline').textContent,
                  background: getComputedStyle(document.body).backgroundColor };",
    );
    assert_eq!(
        zh,
        json!({ "lang": "zh-CN", "headline": "NO-GO：阻止发布的阻塞项共 3 个。",
                "background": "rgb(13, 17, 23)" })
    );
    session.screenshot(&artifact_dir().join("report-zh-CN-dark.png"));
    session.run("document.getElementById('charts').scrollIntoView();");
    session.screenshot(&artifact_dir().join("report-zh-CN-dark-charts.png"));

    // Control: a page that tries to load an image (from loopback) is caught by the same
    // checks: the CSP blocks it and says so on the console.
    let control_path = dir.path().join("control.html");
    let control = common::html(&doc, &evidence, Lang::En).replace(
        "<main>",
        r#"<main><img src="http://127.0.0.1:9/pixel.png" alt="">"#,
    );
    std::fs::write(&control_path, control).unwrap();
    session.log("browser");
    session.post(
        "/url",
        json!({ "url": format!("file://{}", control_path.display()) }),
    );
    let errors: Vec<String> = session
        .log("browser")
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        errors.iter().any(|m| m.contains("Content Security Policy")),
        "{errors:?}"
    );
}

/// Five thousand gates: the page opens and the last gate is reachable. The load time is
/// printed for the record, not asserted (speed belongs in benchmarks).
#[test]
fn five_thousand_gates_open_in_chromium() {
    let (mut doc, evidence) = common::fixture();
    let template = doc.gates.clone();
    doc.gates.clear();
    for i in 0..5_000 {
        let mut gate = template[i % template.len()].clone();
        gate.name = format!("{} #{i}", gate.name);
        doc.gates.push(gate);
    }
    let dir = tempfile::tempdir().unwrap();
    let page_path = dir.path().join("big.html");
    let page = common::html(&doc, &evidence, Lang::En);
    std::fs::write(&page_path, &page).unwrap();

    let driver = Driver::start();
    let session = Session::new(&driver, &dir.path().join("profile"), &[]);
    session.post(
        "/url",
        json!({ "url": format!("file://{}", page_path.display()) }),
    );
    // content-visibility: auto sizes sections as they come into view, so scroll twice.
    session.run("document.getElementById('gate-4999').scrollIntoView();");
    let result = session.run(
        "const last = document.getElementById('gate-4999');
         last.scrollIntoView();
         const r = last.getBoundingClientRect();
         const nav = performance.getEntriesByType('navigation')[0];
         return { gates: document.querySelectorAll('details.gate').length,
                  visible: r.height > 0 && r.top > -1 && r.top < innerHeight,
                  top: r.top, height: r.height, inner: innerHeight, scroll: scrollY,
                  load_ms: Math.round(nav.loadEventEnd), dom_ms: Math.round(nav.domContentLoadedEventEnd) };",
    );
    eprintln!(
        "5000 gates: {} bytes, DOMContentLoaded {} ms, load {} ms",
        page.len(),
        result["dom_ms"],
        result["load_ms"]
    );
    assert_eq!(result["gates"], 5_000);
    assert_eq!(result["visible"], true, "{result}");
}

/// The report at a phone's, a tablet's and a desktop's width (issue 17 asks 400 px and
/// 1280 px; 360 and 768 too), English and Chinese, every gate open and a trend drawn: the
/// viewport is exactly that wide, nothing is wider than the window (a table or code line that
/// does not fit scrolls inside its own box, never the page), so there is no horizontal
/// scrollbar, and every chart fits the window. Screenshots of each width are saved as
/// artifacts.
#[test]
fn the_report_fits_a_phone_a_tablet_and_a_desktop() {
    let (mut doc, evidence) = common::fixture();
    // A trend on the first gate with a measurement, so its chart is laid out too.
    let gate = doc
        .gates
        .iter()
        .find(|g| g.measured.is_some())
        .unwrap()
        .name
        .clone();
    doc.trends = vec![gonogo_report::json::TrendV1 {
        gate,
        points: (0..12)
            .map(|i| gonogo_report::json::TrendPointV1 {
                run: format!("{i:08x}{}", "0".repeat(24)),
                evaluated_at: "2026-12-01T00:00:00Z".into(),
                decision: if i % 3 == 0 { "NO-GO" } else { "GO" }.into(),
                status: "pass".into(),
                point: Some(0.1 + f64::from(i) * 0.01),
                lower: Some(0.09),
                upper: Some(0.2 + f64::from(i) * 0.01),
                n: Some(100),
                judged_in_past: false,
            })
            .collect(),
    }];
    let dir = tempfile::tempdir().unwrap();
    let driver = Driver::start();
    let session = Session::new(&driver, &dir.path().join("profile"), &[]);
    for (lang, tag) in [(Lang::En, "en"), (Lang::ZhCn, "zh-CN")] {
        let path = dir.path().join(format!("report.{tag}.html"));
        std::fs::write(&path, common::html(&doc, &evidence, lang)).unwrap();
        for (width, height) in [(360, 740), (400, 800), (768, 1024), (1280, 900)] {
            session.post("/window/rect", json!({ "width": width, "height": height }));
            session.post(
                "/url",
                json!({ "url": format!("file://{}", path.display()) }),
            );
            let layout = session.run(
                "document.querySelectorAll('details').forEach(d => d.open = true);
                 // content-visibility: auto lays sections out once near the viewport.
                 document.querySelectorAll('section, details').forEach(s => s.scrollIntoView());
                 window.scrollTo(0, 0);
                 const inner = document.documentElement.clientWidth;
                 const wide = [];
                 for (const el of document.querySelectorAll('main *')) {
                   const r = el.getBoundingClientRect();
                   if (r.width === 0) continue;
                   // Inside a box that scrolls sideways by itself: that box is what must fit.
                   let scroller = el.parentElement, clipped = false;
                   while (scroller && scroller !== document.body) {
                     const o = getComputedStyle(scroller).overflowX;
                     if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; }
                     scroller = scroller.parentElement;
                   }
                   if (!clipped && r.right > inner + 1)
                     wide.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right) + ': '
                               + (el.textContent || '').slice(0, 60));
                 }
                 const charts = [...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width);
                 return { inner, viewport: window.innerWidth, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 10),
                          charts: charts.length, widest_chart: Math.max(...charts),
                          trend: document.querySelectorAll('figure.trend circle').length };",
            );
            session.screenshot(&artifact_dir().join(format!("report-{tag}-{width}.png")));
            let inner = layout["inner"].as_f64().unwrap();
            // The width asked for is the width laid out (no scrollbar takes any of it).
            assert_eq!(
                layout["viewport"], width,
                "{tag}: the window is not {width}px wide: {layout}"
            );
            assert_eq!(inner, f64::from(width), "{tag} at {width}px: {layout}");
            assert!(
                layout["scroll"].as_f64().unwrap() <= inner + 1.0,
                "{tag} at {width}px: the page scrolls sideways: {layout}"
            );
            assert_eq!(
                layout["wide"].as_array().unwrap().len(),
                0,
                "{tag} at {width}px: wider than the window: {layout}"
            );
            assert!(
                layout["widest_chart"].as_f64().unwrap() <= inner,
                "{tag} at {width}px: {layout}"
            );
            assert_eq!(
                layout["trend"], 13,
                "12 earlier runs and this one: {layout}"
            );
        }
    }
}
