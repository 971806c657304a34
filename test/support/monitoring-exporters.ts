/**
 * The real blackbox exporter and Prometheus on loopback ports, started and stopped by the
 * monitoring service tests, and a reader for the Prometheus text format.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Daemon, freePort, startDaemon, waitFor } from "./procs-run";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (enough of it for exporter output). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return samples;
}

export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

export interface Blackbox extends Daemon {
  url: string;
  probe(module: string, target: string): Promise<Sample[]>;
}

export async function startBlackbox(dir: string, configYaml: string): Promise<Blackbox> {
  const config = join(dir, "blackbox.yml");
  writeFileSync(config, configYaml);
  const port = await freePort();
  const daemon = startDaemon(
    "prometheus-blackbox-exporter",
    [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`],
    join(dir, "blackbox.log"),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor("blackbox exporter", async () => ((await fetch(`${url}/-/healthy`)).ok ? true : undefined));
  return {
    ...daemon,
    url,
    async probe(module, target) {
      const res = await fetch(`${url}/probe?module=${encodeURIComponent(module)}&target=${encodeURIComponent(target)}`);
      if (!res.ok) throw new Error(`probe ${module} ${target}: HTTP ${res.status} ${await res.text()}`);
      return parseMetrics(await res.text());
    },
  };
}

export interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface Prometheus extends Daemon {
  url: string;
  /** An instant query; the result must be a vector. */
  query(expr: string): Promise<PromResult[]>;
  /** An instant query for a range selector (`x[1m]`): every stored sample with its own time. */
  samples(expr: string): Promise<PromSeries[]>;
}

export async function startPrometheus(dir: string, configYaml: string): Promise<Prometheus> {
  mkdirSync(join(dir, "tsdb"), { recursive: true });
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, configYaml);
  const port = await freePort();
  const daemon = startDaemon(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    join(dir, "prometheus.log"),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor("prometheus", async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined));
  return {
    ...daemon,
    url,
    query: (expr) => instantQuery<PromResult[]>(url, expr),
    samples: (expr) => instantQuery<PromSeries[]>(url, expr),
  };
}

async function instantQuery<T>(url: string, expr: string): Promise<T> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: T }; error?: string };
  if (body.status !== "success") throw new Error(`query ${expr}: ${body.error}`);
  return body.data.result;
}
