// The failover timeline: each failover's detection (fault onset → detected),
// recovery (detected → the replacement's first good answer) and restore
// (detected → standbys back at policy), newest first, on one time scale.
import { bar, fill, fmtClock, fmtMs, h } from "./dom";
import type { Failover } from "./types";

export function renderFailovers(el: Element, failovers: Failover[], now: number): void {
  if (failovers.length === 0) {
    fill(el, h("p", { class: "muted" }, "No failover yet."));
    return;
  }
  const list = [...failovers].sort((a, b) => b.detected_at_ms - a.detected_at_ms).slice(0, 25);
  // One scale for every row: the longest onset → restore span.
  let span = 1000;
  for (const f of list) {
    const start = f.onset_ms ?? f.detected_at_ms;
    const end = f.restored_at_ms ?? f.recovered_at_ms ?? now;
    span = Math.max(span, end - start);
  }
  const rows = list.map((f) => {
    const start = f.onset_ms ?? f.detected_at_ms;
    const detect = f.onset_ms !== null ? f.detected_at_ms - f.onset_ms : null;
    const recover = f.recovered_at_ms !== null ? f.recovered_at_ms - f.detected_at_ms : null;
    const restore = f.restored_at_ms !== null ? f.restored_at_ms - f.detected_at_ms : null;
    const track = h("div", { class: "track" });
    const seg = (cls: string, from: number, to: number, title: string) => {
      const s = bar(cls, (to - from) / span, title);
      s.style.marginLeft = `${((from - start) / span) * 100}%`;
      track.append(h("div", { class: "lane" }, s));
    };
    if (detect !== null) seg("seg-detect", start, f.detected_at_ms, `detected after ${fmtMs(detect)}`);
    seg("seg-recover", f.detected_at_ms, f.recovered_at_ms ?? now, recover !== null ? `recovered in ${fmtMs(recover)}` : "recovering");
    if (f.restored_at_ms !== null) seg("seg-restore", f.detected_at_ms, f.restored_at_ms, `restored in ${fmtMs(restore)}`);
    const status = f.recovered_at_ms === null ? "recovering" : f.restored_at_ms === null ? "restoring" : "restored";
    return h(
      "tr",
      { "data-failover": f.instance, "data-status": status },
      h("td", {}, fmtClock(f.detected_at_ms)),
      h("td", {}, h("b", {}, f.model)),
      h("td", {}, f.instance),
      h("td", {}, f.cause),
      h("td", {}, f.replacement ? `${f.replacement}${f.promoted_from ? ` (${f.promoted_from})` : ""}` : "–"),
      h("td", { class: "num" }, fmtMs(detect)),
      h("td", { class: "num" }, fmtMs(recover)),
      h("td", { class: "num" }, fmtMs(restore)),
      h("td", { class: `fo-${status}` }, status),
      h("td", { class: "timeline" }, track),
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
          ...["detected", "model", "instance", "cause", "replacement (from)", "detect", "recover", "restore", "", `timeline (${fmtMs(span)})`].map(
            (t) => h("th", {}, t),
          ),
        ),
      ),
      h("tbody", {}, ...rows),
    ),
    h(
      "div",
      { class: "legend" },
      h("span", { class: "legend-mem" }, h("span", { class: "seg-detect sw" }), "onset → detected"),
      h("span", { class: "legend-mem" }, h("span", { class: "seg-recover sw" }), "detected → recovered"),
      h("span", { class: "legend-mem" }, h("span", { class: "seg-restore sw" }), "detected → standbys restored"),
    ),
  );
}
