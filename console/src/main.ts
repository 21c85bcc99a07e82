// sluice console: a login that keeps the admin token in this tab, then a
// poll of the admin API every 1.5 s. Reading needs a viewer token; drain,
// sleep and wake need an operator token and ask for confirmation first.
import "./style.css";

import { ApiError, checkToken, getJson, getText, postJson, setUnauthorizedHandler, token } from "./api";
import { fill, fmtClock, h } from "./dom";
import { renderFailovers } from "./failovers";
import { type Actions, renderInstances, renderMap, renderModels } from "./fleet";
import { parsePrometheus } from "./prom";
import { TenantView } from "./tenants";
import type { Failover, Fleet, Instances, Tenant, UsageRow } from "./types";

const kPollMs = 1500;
const kSlowEvery = 7; // tenants and usage change slowly: every 7th poll (about 10 s)

const app = document.getElementById("app")!;
let timer: number | undefined;
let generation = 0; // a poll of an earlier session drops its results

function showLogin(message?: string): void {
  generation++;
  if (timer !== undefined) window.clearTimeout(timer);
  const input = h("input", {
    id: "token",
    type: "password",
    autocomplete: "current-password",
    placeholder: "admin token (e.g. sla-demo-admin for make run)",
    required: true,
  });
  const error = h("p", { class: "error", id: "login-error" }, message ?? "");
  const form = h(
    "form",
    { id: "login", class: "login" },
    h("h1", {}, "sluice console"),
    h("p", { class: "muted" }, "Sign in with an admin token (viewer, operator or admin). It is kept in this tab only."),
    input,
    h("button", { type: "submit", id: "sign-in" }, "Sign in"),
    error,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const candidate = input.value.trim();
    try {
      await checkToken(candidate);
      token.set(candidate);
      showConsole();
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401 ? "That token is not valid." : String((e as Error).message);
    }
  });
  fill(app, form);
  input.focus();
}

function section(id: string, title: string, note?: string): { root: HTMLElement; body: HTMLElement } {
  const body = h("div", { class: "body" });
  const root = h("section", { id }, h("h2", {}, title, note ? h("span", { class: "muted note" }, note) : null), body);
  return { root, body };
}

function showConsole(): void {
  const gen = ++generation;
  const status = h("span", { id: "status", class: "muted" }, "loading…");
  const toast = h("div", { id: "toast", class: "toast", role: "status" });
  const models = section("models", "Models", "serving and standbys against policy");
  const map = section("fleet-map", "Fleet map", "zones → nodes → GPUs");
  const instances = section("instances", "Instances");
  const failovers = section("failovers", "Failovers", "detection, recovery and restore times");
  const tenants = section("tenants", "Tenants", "rates over the last 10 s");
  const fairness = section("fairness", "Fairness", "each tenant's service per second ÷ its weight (the fair queue's virtual counter): while tenants compete, lines that meet are a fair share");
  const chart = h("div", { class: "chart" });
  fairness.body.append(chart);
  const tenantView = new TenantView(tenants.body, chart);

  const say = (text: string, bad = false) => {
    toast.textContent = text;
    toast.className = `toast show${bad ? " bad" : ""}`;
    window.setTimeout(() => (toast.className = "toast"), 6000);
  };
  const act = async (question: string, path: string, body: unknown, done: string) => {
    if (!window.confirm(question)) return;
    try {
      await postJson(path, body);
      say(done);
      void poll();
    } catch (e) {
      const err = e as ApiError;
      say(err.status === 403 ? `${err.message} (an operator token is needed)` : err.message, true);
    }
  };
  const actions: Actions = {
    drain: (id) =>
      act(`Drain ${id}? It leaves rotation, finishes its requests and stops; the fleet replaces it if the policy asks.`,
        "/admin/fleet/drain", { instance: id }, `${id} is draining`),
    sleep: (m) =>
      act(`Put ${m} to sleep? Its serving minimum goes to 0 and its idle serving instances sleep (demand may still wake it).`,
        "/admin/fleet/sleep", { model: m }, `${m}: serving minimum 0, instances going to sleep`),
    wake: (m) =>
      act(`Wake ${m}? Its serving minimum goes back to the config's.`, "/admin/fleet/wake", { model: m },
        `${m}: serving minimum restored`),
  };

  const logout = h("button", { id: "logout", onclick: () => { token.clear(); showLogin(); } }, "Sign out");
  fill(
    app,
    h("header", {}, h("h1", {}, "sluice"), h("span", { class: "muted" }, "console"), h("span", { class: "spacer" }), status, logout),
    toast,
    h("main", {}, models.root, map.root, instances.root, failovers.root, tenants.root, fairness.root),
  );

  let tick = 0;
  let tenantList: Tenant[] = [];
  let usage: UsageRow[] = [];
  const poll = async () => {
    const slow = tick++ % kSlowEvery === 0;
    try {
      const [fleet, routed, metrics] = await Promise.all([
        getJson<Fleet>("/admin/fleet"),
        getJson<Instances>("/admin/instances"),
        getText("/metrics"),
      ]);
      if (slow) {
        // Without a store these may be missing; the rest of the page still works.
        const [t, u] = await Promise.all([
          getJson<{ data: Tenant[] }>("/admin/tenants").catch(() => null),
          getJson<{ data: UsageRow[] }>("/admin/usage?group_by=none&since=30d").catch(() => null),
        ]);
        tenantList = t?.data ?? tenantList;
        usage = u?.data ?? usage;
      }
      if (gen !== generation) return;
      const now = Date.now();
      renderModels(models.body, fleet, actions);
      renderMap(map.body, fleet);
      renderInstances(instances.body, fleet, routed, actions);
      renderFailovers(failovers.body, (fleet?.failovers ?? []) as Failover[], now);
      tenantView.update(parsePrometheus(metrics ?? ""), tenantList, usage, now);
      status.textContent = `updated ${fmtClock(now)}`;
      status.className = "muted";
    } catch (e) {
      if (gen !== generation) return;
      status.textContent = `cannot reach the gateway: ${(e as Error).message}`;
      status.className = "error";
    }
  };
  const loop = async () => {
    await poll();
    if (gen === generation) timer = window.setTimeout(loop, kPollMs);
  };
  void loop();
}

setUnauthorizedHandler(() => {
  token.clear();
  showLogin("The gateway no longer accepts that token; sign in again.");
});
if (token.get()) showConsole();
else showLogin();
