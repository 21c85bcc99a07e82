// The web console in a real browser (Debian's Chromium, headless, driven by
// playwright-core) against a live gateway with a simulated fleet, started by
// tests/integration/console_test.cpp, which passes:
//   SLUICE_ADMIN_URL    http://127.0.0.1:<admin port>
//   SLUICE_ADMIN_TOKEN  an admin token of that gateway
//   SLUICE_API_URL      http://127.0.0.1:<api port>
//   SLUICE_API_KEYS     comma-separated tenant keys for background traffic
//   CHROMIUM            the browser binary
//   ARTIFACTS           where screenshots go (console-*.png)
//   README_SCREENSHOT   optional: also write the README's screenshot there
// Prints "console e2e: all passed" and exits 0, or names the failed step.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const admin = env("SLUICE_ADMIN_URL");
const adminToken = env("SLUICE_ADMIN_TOKEN");
const api = env("SLUICE_API_URL");
const keys = env("SLUICE_API_KEYS").split(",");
const artifacts = env("ARTIFACTS");
mkdirSync(artifacts, { recursive: true });

let step = "start";
const log = (s) => {
  step = s;
  console.log(`console e2e: ${s}`);
};
const fleet = async () => {
  const res = await fetch(`${admin}/admin/fleet`, {
    headers: { Authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`GET /admin/fleet: ${res.status}`);
  return res.json();
};
const servingHot = (f, model) =>
  f.instances.filter((i) => i.model === model && i.role === "serving" && i.state === "hot" && !i.busy);

// Background traffic from every tenant, so the tenant table and the
// fairness chart have something to show.
let trafficOn = true;
// Four clients a tenant on a model with few slots: the fair queue decides.
const traffic = keys.flatMap((key) => [key, key, key, key]).map(async (key, n) => {
  while (trafficOn) {
    try {
      await fetch(`${api}/v1/chat/completions`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: JSON.stringify({ model: "small", messages: [{ role: "user", content: `client ${n} says hello` }], max_tokens: 32 }),
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  // Root in CI and containers: Chromium's sandbox needs user namespaces it may not have.
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});
const problems = [];
let exitCode = 0;
let pageRef = null;
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  pageRef = page;
  page.setDefaultTimeout(15000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // 401s of the wrong-token step are expected; anything else (a script
    // error, a Content-Security-Policy violation) is a failure.
    if (m.type() === "error" && !/401/.test(m.text())) problems.push(`console error: ${m.text()}`);
  });

  log("the page asks for a token and shows no data before");
  await page.goto(`${admin}/console`);
  await page.waitForSelector("#login");
  if ((await page.locator("[data-instance]").count()) !== 0) throw new Error("instances shown before signing in");

  log("a wrong token is refused");
  await page.fill("#token", "not-a-token");
  await page.click("#sign-in");
  await page.waitForFunction(() => /not valid/.test(document.querySelector("#login-error")?.textContent ?? ""));

  log("signing in shows the models and instances");
  await page.fill("#token", adminToken);
  await page.click("#sign-in");
  await page.waitForSelector('tr[data-model="small"]');
  await page.waitForSelector('#fleet-map [data-instance][data-state="hot"]');
  const f0 = await fleet();
  for (const i of f0.instances.filter((x) => x.state !== "stopped")) {
    await page.waitForSelector(`#instances tr[data-row-instance="${i.id}"]`);
  }
  const zones = await page.locator("#fleet-map [data-zone]").count();
  const gpus = await page.locator("#fleet-map [data-gpu]").count();
  if (zones !== new Set(f0.gpus.map((g) => g.zone)).size || gpus !== f0.gpus.length)
    throw new Error(`fleet map shows ${zones} zones and ${gpus} GPUs, the fleet has ${f0.gpus.length} GPUs`);
  await page.waitForFunction(() => document.querySelectorAll("#tenants tr[data-tenant]").length >= 2);
  await page.waitForSelector("#fairness .uplot");
  await page.screenshot({ path: join(artifacts, "console-1-signed-in.png"), fullPage: true });

  log("the session survives a reload (sessionStorage)");
  await page.reload();
  await page.waitForSelector('tr[data-model="small"]');

  log("an engine killed with SIGKILL shows up as a failover and the page follows");
  const victim = servingHot(await fleet(), "small")[0];
  if (!victim?.pid) throw new Error("no hot serving instance with a pid");
  process.kill(victim.pid, "SIGKILL");
  await page.waitForSelector(`#failovers tr[data-failover="${victim.id}"]`);
  await page.waitForFunction(
    (id) => {
      const row = document.querySelector(`#instances tr[data-row-instance="${id}"]`);
      return !row || row.getAttribute("data-state") !== "hot";
    },
    victim.id,
  );
  await page.waitForSelector(`#failovers tr[data-failover="${victim.id}"][data-status="restored"]`, { timeout: 20000 });
  await page.screenshot({ path: join(artifacts, "console-2-failover.png"), fullPage: true });

  log("a drain asks first: dismissed, nothing happens");
  const target = servingHot(await fleet(), "small")[0];
  if (!target) throw new Error("no hot serving instance to drain");
  const drainButton = page.locator(`#instances tr[data-row-instance="${target.id}"] button[data-action="drain"]`);
  let asked = "";
  page.once("dialog", (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await drainButton.click();
  if (!asked.includes(target.id)) throw new Error(`no confirmation naming ${target.id} (got "${asked}")`);
  await page.waitForTimeout(1000);
  if ((await fleet()).instances.find((i) => i.id === target.id)?.state !== "hot") throw new Error("a dismissed drain drained");

  log("a confirmed drain drains the instance and the fleet replaces it");
  page.once("dialog", (d) => void d.accept());
  await drainButton.click();
  await page.waitForFunction(
    (id) => {
      const row = document.querySelector(`#instances tr[data-row-instance="${id}"]`);
      return !row || ["draining", "stopped"].includes(row.getAttribute("data-state"));
    },
    target.id,
  );
  await page.waitForFunction(() => /is draining/.test(document.querySelector("#toast")?.textContent ?? ""));
  await page.waitForFunction(
    () => document.querySelector('tr[data-model="small"] td:nth-child(7)')?.textContent === "settled",
    undefined,
    { timeout: 20000 },
  );
  await page.screenshot({ path: join(artifacts, "console-3-drained.png"), fullPage: true });

  log("sleep and wake a model, each confirmed");
  const bigState = () => page.locator('#instances tr[data-row-instance^="big/"]').first().getAttribute("data-state");
  page.once("dialog", (d) => void d.accept());
  await page.click('tr[data-model="big"] button[data-action="sleep"]');
  await page.waitForSelector('#instances tr[data-row-instance^="big/"][data-state="warm"]');
  page.once("dialog", (d) => void d.accept());
  await page.click('tr[data-model="big"] button[data-action="wake"]');
  await page.waitForSelector('#instances tr[data-row-instance^="big/"][data-state="hot"]');
  if ((await bigState()) !== "hot") throw new Error("big did not wake");
  if (process.env.README_SCREENSHOT) {
    await page.screenshot({ path: process.env.README_SCREENSHOT, fullPage: true });
  }

  log("signing out forgets the token");
  await page.click("#logout");
  await page.waitForSelector("#login");
  await page.reload();
  await page.waitForSelector("#login");

  if (problems.length > 0) throw new Error(problems.join("\n"));
  console.log("console e2e: all passed");
} catch (e) {
  console.error(`console e2e: FAILED at "${step}": ${e.message}`);
  const toast = await pageRef?.locator("#toast").textContent().catch(() => null);
  if (toast) console.error(`the page's last message: ${toast}`);
  const f = await fleet().catch(() => null);
  if (f) console.error(`fleet: ${f.instances.map((i) => `${i.id} ${i.state} ${i.role}`).join(", ")}`);
  await pageRef?.screenshot({ path: join(artifacts, "console-failed.png"), fullPage: true }).catch(() => {});
  for (const p of problems) console.error(p);
  exitCode = 1;
} finally {
  trafficOn = false;
  await browser.close();
  await Promise.allSettled(traffic);
}
process.exit(exitCode);
