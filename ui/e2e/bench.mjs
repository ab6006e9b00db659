// The desktop app's benchmarks, in the real window (run by `cargo xtask bench app`
// under xvfb-run): launch to first results, keystroke to painted results, and idle
// memory of the app with its WebKit processes. Prints one JSON object.
//
// Environment: QUIVER_APP (a release build), QUIVER_DATA_DIR (an indexed data dir).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { Builder, By, Capabilities, until } from "selenium-webdriver";

const APP = process.env.QUIVER_APP;
const DATA = process.env.QUIVER_DATA_DIR;
assert.ok(APP && DATA, "QUIVER_APP and QUIVER_DATA_DIR must be set");
const LAUNCHES = 5;
const FIRST_QUERY = "pricing";
// Typed one key at a time; each key's results are waited for before the next key.
const TYPED = ["pricing", "security review", "renewal discount", "integration", "forecast"];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startDriver() {
  const proc = spawn("tauri-driver", [], {
    env: { ...process.env, QUIVER_DATA_DIR: DATA, QUIVER_VIEWER: "true" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch("http://127.0.0.1:4444/status")).ok) return proc;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error("tauri-driver did not start on port 4444");
}

async function launch() {
  const caps = new Capabilities();
  caps.setBrowserName("wry");
  caps.set("tauri:options", { application: APP });
  return new Builder().withCapabilities(caps).usingServer("http://127.0.0.1:4444/").build();
}

async function visible(driver, css) {
  const el = await driver.wait(until.elementLocated(By.css(css)), 30000);
  return driver.wait(until.elementIsVisible(el), 30000);
}

/** Waits until the result count reports the time of `query`'s painted results. */
async function paintedMs(driver, query) {
  let ms = null;
  await driver.wait(async () => {
    const counts = await driver.findElements(By.css("#result-count"));
    if (counts.length === 0 || (await counts[0].getAttribute("data-for")) !== query) return false;
    ms = Number(await counts[0].getAttribute("data-ms"));
    return true;
  }, 30000);
  return ms;
}

/** The app's process and its descendants (the WebKit web and network processes). */
function processTree() {
  const parent = new Map();
  const name = new Map();
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      name.set(pid, stat.slice(stat.indexOf("(") + 1, close));
      parent.set(pid, stat.slice(close + 2).split(" ")[1]);
    } catch {
      // gone
    }
  }
  const roots = [...name].filter(([, n]) => n === "quiver-app").map(([p]) => p);
  const tree = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree].map((pid) => {
    const kb = (file, key) => {
      try {
        const line = fs.readFileSync(`/proc/${pid}/${file}`, "utf8").split("\n").find((l) => l.startsWith(key));
        return Number(line.split(/\s+/)[1]);
      } catch {
        return 0;
      }
    };
    return { pid, name: name.get(pid), rss_kb: kb("status", "VmRSS:"), pss_kb: kb("smaps_rollup", "Pss:") };
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.round((xs.length - 1) * q)];

const starts = [];
const keys = [];
let memory = [];
for (let i = 0; i < LAUNCHES; i++) {
  const proc = await startDriver();
  const t0 = performance.now();
  const driver = await launch();
  try {
    const box = await visible(driver, "#search-box");
    await box.sendKeys(FIRST_QUERY);
    await paintedMs(driver, FIRST_QUERY);
    starts.push(performance.now() - t0);
    if (i === LAUNCHES - 1) {
      for (const text of TYPED) {
        await box.clear();
        let typed = "";
        for (const ch of text) {
          typed += ch;
          await box.sendKeys(ch);
          keys.push(await paintedMs(driver, typed));
        }
      }
      // Idle: nothing typed, no index run, for 10 s.
      await sleep(10000);
      memory = processTree();
    }
  } finally {
    await driver.quit();
    proc.kill();
    await sleep(500);
  }
}

console.log(
  JSON.stringify({
    launches: starts.length,
    start_to_results_ms: { median: median(starts), all: starts.map(Math.round) },
    keystrokes: keys.length,
    keystroke_ms: { median: median(keys), p95: pct(keys, 0.95), max: Math.max(...keys) },
    idle_memory: {
      rss_mb: memory.reduce((s, p) => s + p.rss_kb, 0) / 1024,
      pss_mb: memory.reduce((s, p) => s + p.pss_kb, 0) / 1024,
      processes: memory.map((p) => ({ name: p.name, rss_mb: Math.round(p.rss_kb / 1024), pss_mb: Math.round(p.pss_kb / 1024) })),
    },
  }),
);
