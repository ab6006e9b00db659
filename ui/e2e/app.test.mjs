// End to end in the real window: the built app under Xvfb, driven over WebDriver by
// tauri-driver and WebKitWebDriver. `cargo xtask test` builds the app and runs this
// under `xvfb-run`; each scenario saves a screenshot in $QUIVER_E2E_OUT.
//
// Environment: QUIVER_APP (the built quiver-app), QUIVER_CLI (the built quiver, to
// check what the app recorded), QUIVER_E2E_OUT (screenshots), QUIVER_CORPUS (the shared
// corpus, for a broken file).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Builder, By, Capabilities, Key, until } from "selenium-webdriver";

const APP = process.env.QUIVER_APP;
const CLI = process.env.QUIVER_CLI;
const OUT = process.env.QUIVER_E2E_OUT ?? path.join(os.tmpdir(), "quiver-e2e");
const CORPUS = process.env.QUIVER_CORPUS;
assert.ok(APP && CLI && CORPUS, "QUIVER_APP, QUIVER_CLI and QUIVER_CORPUS must be set");

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "quiver-e2e-data-"));
const newFolder = fs.mkdtempSync(path.join(os.tmpdir(), "quiver-e2e-folder-"));
let driverProcess;
let driver;

async function waitForDriver() {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch("http://127.0.0.1:4444/status");
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("tauri-driver did not start on port 4444");
}

async function shot(name) {
  // A screenshot right after a DOM change can show the previous frame.
  await driver.sleep(1200);
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, `${name}.png`), await driver.takeScreenshot(), "base64");
}

const $ = (css) => driver.findElement(By.css(css));
const visible = async (css, ms = 20000) => driver.wait(until.elementIsVisible(await driver.wait(until.elementLocated(By.css(css)), ms)), ms);

/**
 * Runs an action on elements looked up afresh, again if the page re-rendered them
 * meanwhile (WebKit then reports the old node as not found).
 */
async function settled(action) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (e) {
      const stale = e.name === "StaleElementReferenceError" || e.name === "NoSuchElementError";
      if (!stale || attempt >= 5) throw e;
      await driver.sleep(200);
    }
  }
}

async function screen(name) {
  await settled(async () => (await visible(`nav button[data-screen="${name}"]`)).click());
}

async function waitIdle() {
  // Indexing shows a progress line in the header while it runs.
  await driver.wait(async () => (await driver.findElements(By.css("#index-progress"))).length === 0, 60000);
}

/** Types a query and waits until the results shown are that query's (facet filters,
 * which survive switching screens, are cleared first). */
async function searchFor(query) {
  await screen("search");
  await settled(async () => {
    for (const chip of await driver.findElements(By.css(".chips .chip"))) await chip.click();
  });
  const box = await visible("#search-box");
  await box.clear();
  await box.sendKeys(query);
  await driver.wait(async () => (await $("#results").getAttribute("data-query")) === query, 10000);
}

/** A figure from the Insights screen: the summary tile with this label. */
async function tile(report, label) {
  await screen("insights");
  await (await visible(`.tabs button[data-report="${report}"]`)).click();
  await visible(`#report[data-report="${report}"]`);
  const tiles = await driver.findElements(By.css("#report .tile"));
  for (const t of tiles) {
    if ((await t.findElement(By.css(".label")).getText()).toLowerCase() === label) {
      return Number((await t.findElement(By.css(".value")).getText()).replace(/[^0-9.]/g, ""));
    }
  }
  throw new Error(`no tile ${label} in the ${report} report`);
}

function events() {
  const out = execFileSync(CLI, ["--data-dir", dataDir, "events", "export"], { encoding: "utf8" });
  return out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

before(async () => {
  driverProcess = spawn("tauri-driver", [], {
    env: { ...process.env, QUIVER_DATA_DIR: dataDir, QUIVER_VIEWER: "true" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForDriver();
  const caps = new Capabilities();
  caps.setBrowserName("wry");
  caps.set("tauri:options", { application: APP });
  driver = await new Builder().withCapabilities(caps).usingServer("http://127.0.0.1:4444/").build();
});

after(async () => {
  try {
    await driver?.quit();
  } finally {
    driverProcess?.kill();
  }
});

test("first run: name the rep and load the sample library", async () => {
  const name = await visible("#rep-name");
  await shot("first-run");
  await name.sendKeys("Erin Tester");
  await $("#load-samples").click();
  await visible("#search-box");
  await driver.sleep(500);
  await waitIdle();
  assert.match(await $("nav .who").getText(), /Erin Tester/);
});

test("search the sample library and see a highlighted snippet", async () => {
  await searchFor("audit fee compression");
  const hit = await visible(".hit");
  const marks = await hit.findElements(By.css(".snippet mark"));
  assert.ok(marks.length > 0, "the snippet highlights the matched words");
  assert.match((await marks[0].getText()).toLowerCase(), /audit|fee|compression/);
  assert.match(await $("#result-count").getText(), /^1 result/);
  await visible("#preview");
  // The preview marks the match too, and shows where it is.
  const mark = await visible("#preview mark");
  assert.match((await mark.getText()).toLowerCase(), /audit|fee|compression/);
  await shot("search");
});

test("previews show a price list as a table and a deck as slides", async () => {
  await searchFor("list price per seat");
  await visible("#preview table.cells td");
  const cells = await driver.findElements(By.css("#preview table.cells tr:first-child td"));
  assert.ok(cells.length >= 8, `the CSV's columns are table cells (${cells.length})`);
  await shot("preview-table");
  await searchFor("seat ramp");
  const slide = await visible("#preview section.slide.hit");
  assert.match(await slide.findElement(By.css("h3")).getText(), /^Slide 8/);
  await visible("#preview section.slide.hit mark");
  await shot("preview-slides");
});

test("facets narrow the results", async () => {
  await searchFor("brightline");
  await visible('.facet[data-facet="format"] input');
  const before = Number((await $("#result-count").getText()).match(/^\d+/)[0]);
  await (await $('.facet[data-facet="format"] label')).click();
  await driver.wait(async () => {
    const n = Number((await $("#result-count").getText()).match(/^\d+/)[0]);
    return n < before;
  }, 10000);
  await shot("search-facets");
  // The filter survives switching screens, as the query does.
  await screen("insights");
  await screen("search");
  await visible(".chips .chip");
});

test("open a hit and see the open counted", async () => {
  const opensBefore = await tile("assets", "opens");
  await searchFor("roi payback");
  const hit = await visible(".hit");
  const title = await hit.findElement(By.css(".title")).getText();
  await $("#deal-picker").sendKeys("OPP-E2E", Key.ENTER);
  await visible(".deal-picker .clear");
  await hit.findElement(By.css("button.open")).click();
  await driver.wait(until.elementLocated(By.xpath(`//div[contains(@class,"notice") and contains(., "Opened")]`)), 10000);
  const opensAfter = await tile("assets", "opens");
  assert.equal(opensAfter, opensBefore + 1, "the Insights screen counts the new open");
  const open = events().find((e) => e.kind === "open" && e.deal_id === "OPP-E2E");
  assert.ok(open, "the open is recorded");
  assert.equal(open.rep, "Erin Tester");
  assert.equal(open.surface, "app");
  assert.ok(open.query_id, "the open links to the search it came from");
  assert.ok(title.length > 0);
  await shot("insights-assets");
});

test("record a lost deal with primary and secondary reasons in under 15 seconds", async () => {
  const dealsBefore = await tile("reasons", "deals");
  await screen("record");
  const started = Date.now();
  const deal = await visible("#deal-id");
  await deal.clear(); // the form starts on the deal being prepared for
  // Deal id, Tab past the name to the outcome, L for lost.
  await deal.sendKeys("OPP-E2E-LOST", Key.TAB, Key.TAB);
  await driver.actions().sendKeys("l").perform();
  const primary = await visible("#primary-reason");
  // "price" means "Price too high", not "Competitor was cheaper" (whose keywords say price).
  await primary.sendKeys("price", Key.ENTER);
  await (await visible("#primary-note")).sendKeys("Budget capped at 40k");
  await $("#secondary-reason").sendKeys("cheaper", Key.ENTER);
  await $("#competitor").sendKeys("Acmeworks");
  await $('#stage option[value="proposal"]').click();
  await shot("record-outcome");
  await $("#competitor").sendKeys(Key.chord(Key.CONTROL, Key.ENTER));
  await driver.wait(until.elementLocated(By.xpath(`//div[contains(@class,"notice") and contains(., "OPP-E2E-LOST")]`)), 10000);
  const seconds = (Date.now() - started) / 1000;
  console.log(`record outcome: ${seconds.toFixed(1)} s from first key to saved`);
  assert.ok(seconds < 15, `recording took ${seconds} s`);

  const dealsAfter = await tile("reasons", "deals");
  assert.equal(dealsAfter, dealsBefore + 1, "the reasons report counts the new deal");
  const shown = await driver.findElement(By.css('[data-table="codes"]')).getAttribute("textContent");
  assert.match(shown, /PRICE\.TOO_HIGH/);
  const saved = JSON.parse(execFileSync(CLI, ["--data-dir", dataDir, "--json", "deal", "show", "OPP-E2E-LOST"], { encoding: "utf8" })).deal;
  assert.equal(saved.outcome, "lost");
  assert.equal(saved.reasons[0].code, "PRICE.TOO_HIGH");
  assert.equal(saved.reasons[0].note, "Budget capped at 40k");
  assert.equal(saved.reasons[1]?.code, "COMPETITION.CHEAPER", "the secondary reason is recorded");
  assert.equal(saved.competitor, "Acmeworks");
  assert.equal(saved.stage, "proposal");
  await shot("insights-reasons-after-recording");
});

test("prepare for an open CRM deal found by its account, keep it, and let it clear when the deal closes", async () => {
  const crm = path.join(os.tmpdir(), `quiver-e2e-crm-${process.pid}.csv`);
  fs.writeFileSync(
    crm,
    "Opportunity ID,Opportunity Name,Account Name,Stage,Close Date,Opportunity Owner\n" +
      "OPP-77,Globex renewal,Globex Corporation,Negotiation/Review,2026-12-20,Erin Tester\n",
  );
  const imported = JSON.parse(execFileSync(CLI, ["--data-dir", dataDir, "--json", "deal", "import", crm], { encoding: "utf8" }));
  assert.equal(imported.still_open, 1, "the open opportunity is not a closed deal");
  await screen("search");
  await visible("#deal-picker");
  await settled(async () => {
    await $("#deal-picker").clear();
    await $("#deal-picker").sendKeys("globex");
  });
  await visible('#deal-menu li[data-deal="OPP-77"]');
  await shot("deal-picker");
  await settled(() => $("#deal-picker").sendKeys(Key.ENTER));
  await driver.wait(async () => (await $("#deal-picker").getAttribute("value")) === "OPP-77", 10000);
  const status = JSON.parse(execFileSync(CLI, ["--data-dir", dataDir, "--json", "status"], { encoding: "utf8" }));
  assert.equal(status.current_deal, "OPP-77", "the choice is kept in the data dir, across restarts");

  await searchFor("roi payback");
  await visible(".hit button.open");
  await settled(() => $(".hit button.open").click());
  await driver.wait(until.elementLocated(By.xpath(`//div[contains(@class,"notice") and contains(., "for deal OPP-77")]`)), 10000);
  assert.ok(events().some((e) => e.kind === "open" && e.deal_id === "OPP-77"), "the open is tied to the deal picked, not to the words typed");

  // After the call: the deal is won, recorded from the keyboard; preparing for it ends.
  await screen("record");
  await visible("#deal-id");
  assert.equal(await settled(() => $("#deal-id").getAttribute("value")), "OPP-77", "the form starts on the deal being prepared for");
  await settled(() => $("#deal-id").sendKeys(Key.TAB, Key.TAB));
  await driver.actions().sendKeys("w").perform();
  await (await visible("#primary-reason")).sendKeys("roi", Key.ENTER);
  await visible("#primary-note");
  await driver.actions().keyDown(Key.CONTROL).sendKeys(Key.ENTER).keyUp(Key.CONTROL).perform();
  await driver.wait(until.elementLocated(By.xpath(`//div[contains(@class,"notice") and contains(., "OPP-77")]`)), 10000);
  await driver.wait(async () => (await $("#deal-picker").getAttribute("value")) === "", 10000);
});

test("add a folder and see its files become searchable, then follow a change", async () => {
  fs.writeFileSync(path.join(newFolder, "zebracorn-brief.md"), "# Zebracorn brief\n\nThe zebracorn rollout plan for retail partners.\n");
  await screen("library");
  await (await visible("#folder-path")).sendKeys(newFolder);
  await $("#add-folder").click();
  await driver.wait(async () => (await $("#folders").getText()).includes(path.basename(newFolder)), 10000);
  await waitIdle();
  await driver.wait(async () => {
    await searchFor("zebracorn");
    return (await driver.findElements(By.css(".hit"))).length > 0;
  }, 20000);
  assert.match(await $(".hit .title").getText(), /Zebracorn/);

  // The file watcher: a file written while the app is open becomes searchable.
  fs.writeFileSync(path.join(newFolder, "quokkafish-notes.txt"), "Quokkafish pricing notes for the field.\n");
  await driver.wait(async () => {
    await searchFor("quokkafish");
    return (await driver.findElements(By.css(".hit"))).length > 0;
  }, 30000);
  await shot("search-new-folder");
});

test("a broken file shows in Problems with its reason", async () => {
  fs.copyFileSync(path.join(CORPUS, "pdf/aes-256.pdf"), path.join(newFolder, "locked-price-sheet.pdf"));
  await screen("library");
  await driver.wait(async () => {
    const rows = await driver.findElements(By.css("#problems tbody tr"));
    for (const r of rows) if ((await r.getText()).includes("locked-price-sheet.pdf")) return true;
    return false;
  }, 30000);
  const row = await driver.findElement(By.xpath(`//table[@id="problems"]//tr[contains(., "locked-price-sheet.pdf")]`));
  assert.match(await row.getText(), /encrypted/i);
  await shot("library");
});

test("settings show the rep and the data dir", async () => {
  await screen("settings");
  assert.equal(await (await visible("#settings-name")).getAttribute("value"), "Erin Tester");
  assert.equal(await $("#data-dir").getText(), dataDir);
  await shot("settings");
});

test("insights: every report renders", async () => {
  for (const r of ["unused", "searches", "stages", "influence", "coverage", "completeness", "messaging"]) {
    await screen("insights");
    await (await visible(`.tabs button[data-report="${r}"]`)).click();
    await visible(`#report[data-report="${r}"]`);
  }
  // Reasons: the shares with their 95% intervals, no zero rows, sample sizes shown.
  await (await visible('.tabs button[data-report="reasons"]')).click();
  const chart = await visible('#report[data-report="reasons"] .chart');
  const labels = JSON.parse(await chart.getAttribute("data-labels"));
  const intervals = JSON.parse(await chart.getAttribute("data-intervals"));
  assert.ok(labels.length > 0 && intervals.length === labels.length, "an interval per bar");
  assert.ok(intervals.every(([lo, hi]) => lo >= 0 && lo <= hi && hi <= 1), JSON.stringify(intervals));
  assert.ok(labels.every((l) => /\((\d+) of \d+\)$/.test(l) && !/\(0 of/.test(l)), "no zero rows, n on every bar");
  assert.ok(labels.every((l) => !l.includes("(none)")), "the segment (none) is kept apart");
  await shot("insights-reasons");
  await (await visible('.tabs button[data-report="unused"]')).click();
  await visible('#report[data-report="unused"] canvas');
  await shot("insights-unused");

  // An asset's page opens from the reports that name assets.
  for (const r of ["unused", "influence"]) {
    await (await visible(`.tabs button[data-report="${r}"]`)).click();
    const link = await visible(`#report[data-report="${r}"] .asset-link`);
    const name = await link.getText();
    await link.click();
    const page = await visible("#asset-page");
    await visible("#asset-deals");
    assert.ok((await page.getText()).length > 0, `${r}: ${name}`);
    await shot(`asset-page-${r}`);
    await page.findElement(By.css('button[aria-label="Close"]')).click();
    await driver.wait(async () => (await driver.findElements(By.css("#asset-page"))).length === 0, 5000);
  }
});

/** Calls a command of the app the way the UI does, through Tauri's IPC in the window. */
async function invoke(cmd, args) {
  return driver.executeAsyncScript(
    `const done = arguments[arguments.length - 1];
     window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
       .then((ok) => done({ ok }), (err) => done({ err }));`,
    cmd,
    args,
  );
}

/** The CLI's answer for the same operation: its JSON, or its JSON error. */
function cli(args) {
  try {
    return { ok: JSON.parse(execFileSync(CLI, ["--data-dir", dataDir, "--json", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) };
  } catch (e) {
    return { err: JSON.parse(e.stderr.toString()).error };
  }
}

test("the app and the CLI answer the same operation with the same JSON", async () => {
  await waitIdle();
  assert.deepEqual(await invoke("status", {}), cli(["status"]), "status");

  const withoutTime = (r) => {
    delete r.ok.took_ms;
    return r;
  };
  assert.deepEqual(
    withoutTime(await invoke("search", { input: { query: "pricing", filters: [["format", "pdf"]], limit: 5, facets: true, record: false } })),
    withoutTime(cli(["search", "pricing", "--filter", "format=pdf", "--limit", "5", "--facets", "--no-record"])),
    "search",
  );
  const reasons = await invoke("report", { input: { name: "reasons", by: "size" } });
  assert.ok(reasons.ok.tables.length > 0, "the reasons report has tables");
  assert.deepEqual(reasons, cli(["report", "reasons", "--by", "size"]), "report");

  // The app refuses what the CLI refuses, with the same code and message.
  const app = await invoke("report", { input: { name: "reasons", from: "2026-12-01", to: "2026-01-01" } });
  const shell = cli(["report", "reasons", "--from", "2026-12-01", "--to", "2026-01-01"]);
  assert.equal(app.err?.code, "user.invalid_value");
  assert.equal(app.err.field, "from");
  assert.deepEqual({ code: app.err.code, message: app.err.message }, shell.err, "an invalid window");
});

test("the window runs only Quiver's own code and reaches no other origin", async () => {
  const outcome = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const s = document.createElement("script");
    s.textContent = "window.__injected = true";
    document.body.appendChild(s);
    fetch("http://127.0.0.1:4444/status").then(() => done({ injected: !!window.__injected, fetched: true }),
      () => done({ injected: !!window.__injected, fetched: false }));
  `);
  assert.equal(outcome.injected, false, "an inline script does not run (Content-Security-Policy)");
  assert.equal(outcome.fetched, false, "the page cannot reach another origin, even on this machine");
});

test("settings remove the sample library and its history, and nothing of the rep's own", async () => {
  const before = JSON.parse(execFileSync(CLI, ["--data-dir", dataDir, "--json", "status"], { encoding: "utf8" }));
  await screen("settings");
  await (await visible("#remove-demo")).click();
  await (await visible("#remove-demo-confirm")).click();
  await driver.wait(until.elementLocated(By.xpath(`//div[contains(@class,"notice") and contains(., "Removed the sample library")]`)), 20000);
  const after = JSON.parse(execFileSync(CLI, ["--data-dir", dataDir, "--json", "status"], { encoding: "utf8" }));
  assert.ok(after.assets < before.assets, `${before.assets} -> ${after.assets}`);
  assert.ok(after.library.some((f) => f === fs.realpathSync(newFolder)), "the rep's own folder stays");
  const left = events();
  // The demo's history came in through an import; the rep's opens and searches here
  // were made in the app (some of them of sample files, which stay the rep's).
  assert.ok(left.length > 0 && left.every((e) => e.surface !== "import"), "the demo's events are gone, the rep's stay");
  const deals = JSON.parse(execFileSync(CLI, ["--data-dir", dataDir, "--json", "deal", "list"], { encoding: "utf8" }));
  assert.ok(deals.some((d) => d.deal_id === "OPP-E2E-LOST"), "the rep's deal stays");
  assert.ok(!deals.some((d) => d.deal_id.startsWith("DEMO-")), "the demo's deals are gone");
});
