// Per-tenant traffic from /metrics (rates between two scrapes), usage from
// the ledger, and the live fairness chart: how fast each tenant's virtual
// counter grows (sluice_scheduler_virtual_counter: its service, input + 2 x
// output tokens by default, divided by its weight), so lines that meet mean
// a fair share while tenants compete.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import { fill, fmtNum, h } from "./dom";
import { type Sample, sumBy } from "./prom";
import type { Tenant, UsageRow } from "./types";

interface Point {
  t: number; // unix seconds
  tokens: Map<string, number>;
  requests: Map<string, number>;
  vtc: Map<string, number>;
}

const kWindowS = 10; // rates are taken over about this many seconds
const kHistory = 400; // points kept (about 10 minutes at 1.5 s)
const kMaxSeries = 8; // the chart shows the busiest tenants
const kColors = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];

export class TenantView {
  private history: Point[] = [];
  private chart: uPlot | null = null;
  private chartTenants: string[] = [];
  private series = new Map<string, (number | null)[]>();
  private times: number[] = [];

  constructor(
    private readonly tableEl: Element,
    private readonly chartEl: HTMLElement,
  ) {}

  update(samples: Sample[], tenants: Tenant[], usage: UsageRow[], nowMs: number): void {
    const t = nowMs / 1000;
    const tokens = sumBy(samples, "sluice_prompt_tokens_total", "tenant");
    for (const [k, v] of sumBy(samples, "sluice_completion_tokens_total", "tenant")) tokens.set(k, (tokens.get(k) ?? 0) + v);
    const requests = sumBy(samples, "sluice_requests_total", "tenant");
    const vtc = sumBy(samples, "sluice_scheduler_virtual_counter", "tenant");
    this.history.push({ t, tokens, requests, vtc });
    if (this.history.length > kHistory) this.history.shift();
    // The oldest point at most kWindowS back: rates over a window, not a tick.
    let base = this.history[this.history.length - 1];
    for (let i = this.history.length - 1; i >= 0 && t - this.history[i].t <= kWindowS; --i) base = this.history[i];
    const dt = t - base.t;
    const rate = (now: Map<string, number>, then: Map<string, number>, k: string) =>
      dt > 0 ? Math.max(0, ((now.get(k) ?? 0) - (then.get(k) ?? 0)) / dt) : 0;

    const weights = new Map(tenants.map((x) => [x.id, x.weight > 0 ? x.weight : 1]));
    const ids = new Set<string>([...tenants.map((x) => x.id), ...tokens.keys(), ...requests.keys()]);
    ids.delete("");
    const errors = sumBy(samples, "sluice_requests_total", "tenant", (l) => /^5/.test(l.status ?? ""));
    const refusals = sumBy(samples, "sluice_refusals_total", "tenant");
    const queued = sumBy(samples, "sluice_queue_tenant_depth", "tenant");
    const running = sumBy(samples, "sluice_scheduler_running", "tenant");
    const ttftSum = sumBy(samples, "sluice_time_to_first_token_seconds_sum", "tenant");
    const ttftCount = sumBy(samples, "sluice_time_to_first_token_seconds_count", "tenant");
    const cost = new Map<string, number>();
    for (const u of usage) cost.set(u.tenant, (cost.get(u.tenant) ?? 0) + u.cost_usd);

    const rows = [...ids].sort().map((id) => {
      const w = weights.get(id) ?? 1;
      const tps = rate(tokens, base.tokens, id);
      const refusalReasons = samples
        .filter((s) => s.name === "sluice_refusals_total" && s.labels.tenant === id && s.value > 0)
        .map((s) => `${s.labels.reason}: ${s.value}`)
        .join(", ");
      const ttft = (ttftCount.get(id) ?? 0) > 0 ? ((ttftSum.get(id) ?? 0) / (ttftCount.get(id) ?? 1)) * 1000 : NaN;
      return h(
        "tr",
        { "data-tenant": id },
        h("td", {}, h("b", {}, id)),
        h("td", { class: "num" }, fmtNum(w)),
        h("td", { class: "num" }, fmtNum(rate(requests, base.requests, id), 2)),
        h("td", { class: "num" }, fmtNum(tps)),
        h("td", { class: "num" }, fmtNum(tps / w)),
        h("td", { class: "num" }, fmtNum(requests.get(id) ?? 0)),
        h("td", { class: "num" }, fmtNum(tokens.get(id) ?? 0)),
        h("td", { class: "num" }, Number.isFinite(ttft) ? `${fmtNum(ttft)} ms` : "–"),
        h("td", { class: "num" }, fmtNum(queued.get(id) ?? 0)),
        h("td", { class: "num" }, fmtNum(running.get(id) ?? 0)),
        h("td", { class: (refusals.get(id) ?? 0) > 0 ? "num short" : "num", title: refusalReasons || undefined }, fmtNum(refusals.get(id) ?? 0)),
        h("td", { class: (errors.get(id) ?? 0) > 0 ? "num short" : "num" }, fmtNum(errors.get(id) ?? 0)),
        h("td", { class: "num" }, fmtNum(vtc.get(id) ?? 0)),
        h("td", { class: "num" }, cost.has(id) ? `$${(cost.get(id) ?? 0).toFixed(4)}` : "–"),
      );
    });
    fill(
      this.tableEl,
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...[
              "tenant",
              "weight",
              "req/s",
              "tokens/s",
              "tokens/s ÷ weight",
              "requests",
              "tokens",
              "mean TTFT",
              "queued",
              "running",
              "refused (429)",
              "5xx",
              "virtual counter",
              "cost, 30 days",
            ].map((x) => h("th", {}, x)),
          ),
        ),
        h("tbody", {}, ...rows),
      ),
    );

    // The fairness chart: the busiest tenants' service ÷ weight over time.
    const service = (id: string) => rate(vtc, base.vtc, id);
    const busiest = [...ids]
      .map((id) => ({ id, v: service(id) }))
      .sort((a, b) => b.v - a.v || a.id.localeCompare(b.id))
      .slice(0, kMaxSeries)
      .map((x) => x.id)
      .sort();
    this.times.push(t);
    for (const id of busiest) if (!this.series.has(id)) this.series.set(id, this.times.slice(0, -1).map(() => null));
    for (const [id, values] of this.series) values.push(ids.has(id) ? service(id) : null);
    if (this.times.length > kHistory) {
      this.times.shift();
      for (const values of this.series.values()) values.shift();
    }
    this.draw(busiest);
  }

  private draw(tenants: string[]): void {
    const width = Math.max(320, this.chartEl.clientWidth || 800);
    if (!this.chart || tenants.join() !== this.chartTenants.join()) {
      this.chart?.destroy();
      this.chartTenants = tenants;
      const opts: uPlot.Options = {
        width,
        height: 240,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { label: "service/s ÷ weight", size: 60 }],
        series: [
          {},
          ...tenants.map((id, i) => ({ label: id, stroke: kColors[i % kColors.length], width: 2, spanGaps: true })),
        ],
      };
      this.chart = new uPlot(opts, this.data(), this.chartEl);
    } else {
      if (this.chart.width !== width) this.chart.setSize({ width, height: 240 });
      this.chart.setData(this.data());
    }
  }

  private data(): uPlot.AlignedData {
    return [this.times, ...this.chartTenants.map((id) => this.series.get(id) ?? [])] as uPlot.AlignedData;
  }
}

export function renderTenantsEmpty(el: Element): void {
  fill(el, h("p", { class: "muted" }, "No tenant traffic yet."));
}
