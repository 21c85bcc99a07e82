// Just enough of the Prometheus text format for the console: samples with
// their labels (comments and timestamps skipped).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const kLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const kLabel = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = kLine.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      for (const l of m[2].matchAll(kLabel)) {
        labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
      }
    }
    const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
    out.push({ name: m[1], labels, value });
  }
  return out;
}

/// Sums the samples named `name` by the value of label `by` (only those
/// whose labels pass `keep`).
export function sumBy(
  samples: Sample[],
  name: string,
  by: string,
  keep: (labels: Record<string, string>) => boolean = () => true,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name || !keep(s.labels)) continue;
    const k = s.labels[by];
    if (k === undefined || !Number.isFinite(s.value)) continue;
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}
