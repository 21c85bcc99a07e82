// The fleet: per-model serving and standbys against policy, the map
// (zones → nodes → GPUs with their memory and instances), and the
// instances with the operator's planned operations.
import { bar, fill, fmtClock, fmtNum, h } from "./dom";
import type { Fleet, FleetInstance, Gpu, Instances, RoutedInstance } from "./types";

/// What the operator may do from the page; each asks for confirmation first.
export interface Actions {
  drain(instance: string): void;
  sleep(model: string): void;
  wake(model: string): void;
}

function countCell(have: number, want: number): HTMLElement {
  const cls = have < want ? "short" : "ok";
  return h("td", { class: cls, title: `${have} of ${want} the policy asks for` }, `${have}/${want}`);
}

export function renderModels(el: Element, fleet: Fleet | null, actions: Actions): void {
  if (!fleet || fleet.models.length === 0) {
    fill(el, h("p", { class: "muted" }, "No models managed by the fleet controller."));
    return;
  }
  const rows = fleet.models.map((m) =>
    h(
      "tr",
      { "data-model": m.name },
      h("td", {}, h("b", {}, m.name)),
      h("td", {}, m.priority),
      h(
        "td",
        { class: m.serving < m.hot_min ? "short" : "ok", title: `serving minimum ${m.hot_min}, maximum ${m.hot_max}` },
        `${m.serving}`,
        h("span", { class: "muted" }, ` (${m.hot_min}–${m.hot_max})`),
      ),
      countCell(m.standby.hot, m.standby_policy.hot),
      countCell(m.standby.warm, m.standby_policy.warm),
      countCell(m.standby.cold, m.standby_policy.cold),
      h("td", { class: m.settled ? "ok" : "pending" }, m.settled ? "settled" : "reconciling"),
      h(
        "td",
        { class: m.crash_loop.failures_in_a_row > 0 ? "short" : "" },
        m.crash_loop.failures_in_a_row > 0
          ? `${m.crash_loop.failures_in_a_row} in a row, next start in ${Math.ceil(m.crash_loop.next_start_in_ms / 1000)} s`
          : "–",
      ),
      h(
        "td",
        { class: "actions" },
        h("button", { class: "op", "data-action": "sleep", onclick: () => actions.sleep(m.name) }, "Sleep"),
        h("button", { class: "op", "data-action": "wake", onclick: () => actions.wake(m.name) }, "Wake"),
      ),
    ),
  );
  fill(
    el,
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["model", "priority", "serving (min–max)", "hot standby", "warm standby", "cold standby", "", "crash loop", ""].map(
            (t) => h("th", {}, t),
          ),
        ),
      ),
      h("tbody", {}, ...rows),
    ),
  );
}

function instanceChip(i: FleetInstance): HTMLElement {
  return h(
    "div",
    {
      class: `inst temp-${i.temperature} state-${i.state} role-${i.role}`,
      "data-instance": i.id,
      "data-state": i.state,
      "data-temperature": i.temperature,
      title: `${i.id} (${i.model}): ${i.state}, ${i.role}${i.busy ? ", busy" : ""}${i.pid ? `, pid ${i.pid}` : ""}`,
    },
    h("span", { class: "dot" }),
    i.id,
    h("span", { class: "tag" }, i.role === "serving" ? "S" : i.temperature[0].toUpperCase()),
  );
}

function gpuCard(g: Gpu, instances: FleetInstance[]): HTMLElement {
  const on = instances.filter((i) => i.gpus.includes(g.id) && i.state !== "stopped");
  const used = g.memory_gb > 0 ? g.used_gb / g.memory_gb : 0;
  const reserved = g.memory_gb > 0 ? g.reserved_gb / g.memory_gb : 0;
  return h(
    "div",
    { class: `gpu${g.down ? " down" : ""}`, "data-gpu": g.id },
    h("div", { class: "gpu-head" }, h("span", {}, g.id.split("/").pop() ?? g.id), h("span", { class: "muted" }, `${fmtNum(g.used_gb)} / ${fmtNum(g.memory_gb)} GB`)),
    h(
      "div",
      { class: "mem", title: `awake ${g.used_gb} GB, asleep ${g.reserved_gb} GB, of ${g.memory_gb} GB` },
      bar("mem-used", used),
      bar("mem-reserved", reserved),
    ),
    h("div", { class: "insts" }, ...on.map(instanceChip)),
  );
}

export function renderMap(el: Element, fleet: Fleet | null): void {
  if (!fleet) {
    fill(el, h("p", { class: "muted" }, "This gateway runs no fleet controller (no managed models)."));
    return;
  }
  const zones = new Map<string, Map<string, Gpu[]>>();
  for (const g of fleet.gpus) {
    if (!zones.has(g.zone)) zones.set(g.zone, new Map());
    const nodes = zones.get(g.zone)!;
    if (!nodes.has(g.node)) nodes.set(g.node, []);
    nodes.get(g.node)!.push(g);
  }
  const zoneEls = [...zones].map(([zone, nodes]) =>
    h(
      "div",
      { class: `zone${fleet.down_zones.includes(zone) ? " down" : ""}`, "data-zone": zone },
      h("h3", {}, zone, fleet.down_zones.includes(zone) ? h("span", { class: "badge bad" }, "down") : null),
      h(
        "div",
        { class: "nodes" },
        ...[...nodes].map(([node, gpus]) =>
          h(
            "div",
            { class: `node${fleet.down_nodes.includes(node) ? " down" : ""}`, "data-node": node },
            h("h4", {}, node, fleet.down_nodes.includes(node) ? h("span", { class: "badge bad" }, "down") : null),
            h("div", { class: "gpus" }, ...gpus.map((g) => gpuCard(g, fleet.instances))),
          ),
        ),
      ),
    ),
  );
  const legend = h(
    "div",
    { class: "legend" },
    ...["hot", "warm", "cold"].map((t) => h("span", { class: `inst temp-${t}` }, h("span", { class: "dot" }), t)),
    h("span", { class: "muted" }, "S serving · H/W/C standby · dashed: starting, loading or draining · red: failed"),
    h("span", { class: "legend-mem" }, h("span", { class: "mem-used sw" }), "awake GB", h("span", { class: "mem-reserved sw" }), "asleep GB"),
  );
  const unplaced =
    fleet.unplaced.length > 0 ? h("p", { class: "short" }, `Cannot be placed now: ${fleet.unplaced.join(", ")}`) : null;
  fill(el, legend, h("div", { class: "zones" }, ...zoneEls), unplaced);
}

export function renderInstances(el: Element, fleet: Fleet | null, routed: Instances | null, actions: Actions): void {
  const byId = new Map<string, RoutedInstance>();
  for (const m of routed?.models ?? []) for (const i of m.instances) byId.set(i.id, i);
  const list = (fleet?.instances ?? []).filter((i) => i.state !== "stopped");
  const stopped = (fleet?.instances.length ?? 0) - list.length;
  const rows = list.map((i) => {
    const r = byId.get(i.id);
    const health = r ? (r.ejected ? "ejected" : r.healthy ? "healthy" : "unhealthy") : "–";
    return h(
      "tr",
      { "data-row-instance": i.id, "data-state": i.state },
      h("td", {}, instanceChip(i)),
      h("td", {}, i.model),
      h("td", { class: `st-${i.state}` }, i.state),
      h("td", {}, i.role),
      h("td", {}, `${i.zone} / ${i.node}`),
      h("td", {}, i.gpus.map((g) => g.split("/").pop()).join(", ") || "–"),
      h("td", { class: health === "healthy" ? "ok" : health === "–" ? "" : "short" }, health),
      h("td", {}, r ? String(r.outstanding) : "–"),
      h("td", {}, i.pid ? String(i.pid) : "–"),
      h("td", {}, fmtClock(i.since_ms)),
      h(
        "td",
        { class: "actions" },
        h(
          "button",
          {
            class: "op",
            "data-action": "drain",
            disabled: i.state !== "hot" || i.busy,
            title: "Take it out of rotation, let its requests finish, stop it (the fleet replaces it if the policy asks)",
            onclick: () => actions.drain(i.id),
          },
          "Drain",
        ),
      ),
    );
  });
  fill(
    el,
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["instance", "model", "state", "role", "zone / node", "GPUs", "health", "in flight", "pid", "since", ""].map((t) =>
            h("th", {}, t),
          ),
        ),
      ),
      h("tbody", {}, ...rows),
    ),
    stopped > 0 ? h("p", { class: "muted" }, `${stopped} stopped instance(s) not shown.`) : null,
  );
}
